/**
 * firewalld: open what Kubernetes needs for the host's roles and the CNI (DESIGN §4; calico's
 * IP-in-IP as a rich rule), and trust the pod and service networks so forwarded pod traffic
 * is not rejected; or, with `firewall: disable`, stop and disable firewalld. A host without firewalld running has
 * nothing to open. Before packages: nothing below needs the network opened, but a
 * half-prepared host should already be reachable by its peers.
 */
import type { StepContext, Step } from './types.js';
import { shq, shqAll } from '../script/quote.js';

export function firewallPorts(ctx: StepContext): string[] {
  const ports = new Set<string>(['10250/tcp', '10256/tcp', '30000-32767/tcp']);
  if (ctx.host.isControlPlane) for (const p of ['6443/tcp', '2379-2380/tcp', '10257/tcp', '10259/tcp']) ports.add(p);
  const cni = ctx.cluster.kubernetes.cni;
  // calico: BGP, VXLAN, and Typha (the datastore fan-out its manifests enable on larger clusters).
  if (cni === 'calico') for (const p of ['179/tcp', '4789/udp', '5473/tcp']) ports.add(p);
  if (cni === 'flannel') ports.add('8472/udp');
  return [...ports];
}

/**
 * Rich rules for traffic that has no port: calico's default manifest encapsulates pod traffic
 * in IP-in-IP, IP protocol 4. By number, not name: /etc/protocols calls 4 `ipencap`, and the
 * name `ipip` there is protocol 94, which calico does not use.
 */
export function firewallRichRules(ctx: StepContext): string[] {
  return ctx.cluster.kubernetes.cni === 'calico' ? ['rule protocol value="4" accept'] : [];
}

function trustedSources(ctx: StepContext): string[] {
  return [ctx.cluster.kubernetes.podSubnet, ctx.cluster.kubernetes.serviceSubnet];
}

const HELPERS = String.raw`# k8sprep_has_all "LIST" WORD...: every WORD is a word of LIST.
k8sprep_has_all() {
  local list=" $1 " word
  shift
  for word in "$@"; do
    case $list in *" $word "*) ;; *) return 1 ;; esac
  done
}`;

function openCheck(ctx: StepContext): string {
  const ports = shqAll(firewallPorts(ctx));
  const sources = shqAll(trustedSources(ctx));
  return [
    '! systemctl is-active --quiet firewalld || {',
    `  k8sprep_has_all "$(firewall-cmd --permanent --list-ports)" ${ports} &&`,
    `  k8sprep_has_all "$(firewall-cmd --list-ports)" ${ports} &&`,
    `  k8sprep_has_all "$(firewall-cmd --permanent --zone=trusted --list-sources)" ${sources} &&`,
    `  k8sprep_has_all "$(firewall-cmd --zone=trusted --list-sources)" ${sources}${firewallRichRules(ctx).length ? ' &&' : ''}`,
    ...firewallRichRules(ctx).map((rule, i, all) => {
      const and = i < all.length - 1 ? ' &&' : '';
      return `  firewall-cmd --permanent --query-rich-rule=${shq(rule)} >/dev/null && firewall-cmd --query-rich-rule=${shq(rule)} >/dev/null${and}`;
    }),
    '}',
  ].join('\n');
}

function openApply(ctx: StepContext): string {
  return [
    'local item',
    `for item in ${shqAll(firewallPorts(ctx))}; do`,
    '  firewall-cmd --permanent --add-port="$item" >/dev/null',
    'done',
    `for item in ${shqAll(trustedSources(ctx))}; do`,
    '  firewall-cmd --permanent --zone=trusted --add-source="$item" >/dev/null',
    'done',
    ...firewallRichRules(ctx).map((rule) => `firewall-cmd --permanent --add-rich-rule=${shq(rule)} >/dev/null`),
    'firewall-cmd --reload >/dev/null',
  ].join('\n');
}

export const firewallStep: Step = {
  id: 'firewall',
  title: 'Open the Kubernetes ports in firewalld (or disable it)',
  appliesTo: () => true,
  helpers: (ctx) => (ctx.cluster.firewall === 'open-ports' ? HELPERS : ''),
  check: (ctx) =>
    ctx.cluster.firewall === 'disable'
      ? '! systemctl is-active --quiet firewalld && ! systemctl is-enabled --quiet firewalld 2>/dev/null'
      : openCheck(ctx),
  apply: (ctx) => (ctx.cluster.firewall === 'disable' ? 'systemctl disable --now firewalld' : openApply(ctx)),
};
