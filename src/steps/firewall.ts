/**
 * firewalld: open what Kubernetes needs for the host's roles and the CNI (DESIGN §4; calico's
 * IP-in-IP as a rich rule; keepalived's VRRP and haproxy's endpoint port), and trust the pod and service networks so forwarded pod traffic
 * is not rejected; or, with `firewall: disable`, stop and disable firewalld. The rules go
 * into the permanent configuration whenever firewalld is installed and enabled, also while
 * it is stopped (it would otherwise start at the next boot and block the cluster), and into
 * the runtime one while it runs. Before packages: nothing below needs the network opened,
 * but a half-prepared host should already be reachable by its peers.
 */
import type { StepContext, Step } from './types.js';
import { FIREWALLD_ADDED, PREP_RECORD_DIR } from '../os/installed-record.js';
import { shq, shqAll } from '../script/quote.js';

export function firewallPorts(ctx: StepContext): string[] {
  const ports = new Set<string>(['10250/tcp', '10256/tcp', '30000-32767/tcp']);
  if (ctx.host.isControlPlane) for (const p of ['6443/tcp', '2379-2380/tcp', '10257/tcp', '10259/tcp']) ports.add(p);
  const cni = ctx.cluster.kubernetes.cni;
  // calico: BGP, VXLAN, and Typha (the datastore fan-out its manifests enable on larger clusters).
  if (cni === 'calico') for (const p of ['179/tcp', '4789/udp', '5473/tcp']) ports.add(p);
  if (cni === 'flannel') ports.add('8472/udp');
  // haproxy listens on the endpoint port on every control plane (keepalived-haproxy).
  const endpoint = ctx.cluster.controlPlaneEndpoint;
  if (ctx.host.isControlPlane && endpoint?.loadBalancer === 'keepalived-haproxy') ports.add(`${endpoint.port}/tcp`);
  return [...ports];
}

/**
 * Rich rules for traffic that has no port: calico's default manifest encapsulates pod traffic
 * in IP-in-IP, IP protocol 4. By number, not name: /etc/protocols calls 4 `ipencap`, and the
 * name `ipip` there is protocol 94, which calico does not use.
 */
export function firewallRichRules(ctx: StepContext): string[] {
  const rules = ctx.cluster.kubernetes.cni === 'calico' ? ['rule protocol value="4" accept'] : [];
  // keepalived's VRRP adverts between the control planes: IP protocol 112.
  if (ctx.host.isControlPlane && ctx.cluster.controlPlaneEndpoint?.loadBalancer === 'keepalived-haproxy') rules.push('rule protocol value="112" accept');
  return rules;
}

function trustedSources(ctx: StepContext): string[] {
  return [ctx.cluster.kubernetes.podSubnet, ctx.cluster.kubernetes.serviceSubnet];
}

/**
 * Which firewalld configuration must hold the rules: `running` (the permanent one through
 * firewall-cmd, and the runtime one), `enabled` (installed and enabled but stopped: it starts
 * at the next boot with its permanent configuration, written with firewall-offline-cmd since
 * firewall-cmd needs the daemon), or `off` (not installed, or stopped and disabled by the
 * operator: nothing to open; `firewall: open-ports` does not start it).
 */
/** firewalld's state and its permanent configuration, running or not (also node reset --purge's). */
export const FIREWALLD_HELPERS = String.raw`k8sprep_firewalld_state() {
  if systemctl is-active --quiet firewalld; then echo running
  elif command -v firewall-cmd >/dev/null 2>&1 && systemctl is-enabled --quiet firewalld 2>/dev/null; then echo enabled
  else echo off; fi
}
# k8sprep_firewalld_permanent ARGS...: firewalld's permanent configuration, running or not.
k8sprep_firewalld_permanent() {
  if systemctl is-active --quiet firewalld; then firewall-cmd --permanent "$@"; else firewall-offline-cmd "$@"; fi
}
# k8sprep_firewalld_add KIND ITEM [ZONE]: adds a permanent port/source/rich-rule (the default
# zone without ZONE); one that was not there is recorded as "ZONE|- KIND ITEM" (node reset
# --purge removes only those).
k8sprep_firewalld_add() {
  local zone=()
  if [ -n "${'$'}{3:-}" ]; then zone=(--zone="$3"); fi
  if k8sprep_firewalld_permanent ${'$'}{zone[@]+"${'$'}{zone[@]}"} --query-"$1"="$2" >/dev/null 2>&1; then return 0; fi
  k8sprep_firewalld_permanent ${'$'}{zone[@]+"${'$'}{zone[@]}"} --add-"$1"="$2" >/dev/null
  mkdir -p ${PREP_RECORD_DIR}
  printf '%s %s %s\n' "${'$'}{3:--}" "$1" "$2" >>${FIREWALLD_ADDED}
}
# k8sprep_has_all "LIST" WORD...: every WORD is a word of LIST.
k8sprep_has_all() {
  local list=" $1 " word
  shift
  for word in "$@"; do
    case $list in *" $word "*) ;; *) return 1 ;; esac
  done
}`;

/** Condition: the configuration `command...` reads (e.g. `firewall-cmd`) holds every rule. */
function rulesPresent(ctx: StepContext, command: string): string {
  const ports = shqAll(firewallPorts(ctx));
  const sources = shqAll(trustedSources(ctx));
  return [
    `k8sprep_has_all "$(${command} --list-ports)" ${ports}`,
    `k8sprep_has_all "$(${command} --zone=trusted --list-sources)" ${sources}`,
    ...firewallRichRules(ctx).map((rule) => `${command} --query-rich-rule=${shq(rule)} >/dev/null`),
  ].join(' &&\n');
}

function openCheck(ctx: StepContext): string {
  return [
    'case $(k8sprep_firewalld_state) in',
    `  running) { ${rulesPresent(ctx, 'k8sprep_firewalld_permanent')}\n  } && { ${rulesPresent(ctx, 'firewall-cmd')}\n  } ;;`,
    `  enabled) ${rulesPresent(ctx, 'k8sprep_firewalld_permanent')} ;;`,
    '  *) true ;;',
    'esac',
  ].join('\n');
}

function openApply(ctx: StepContext): string {
  return [
    'local item state',
    'state=$(k8sprep_firewalld_state)',
    '[ "$state" != off ] || return 0',
    `[ "$state" = running ] || command -v firewall-offline-cmd >/dev/null 2>&1 || k8sprep_die "firewalld is enabled but stopped, and firewall-offline-cmd (part of firewalld) is missing: its permanent rules cannot be written; start firewalld or set firewall: disable"`,
    `for item in ${shqAll(firewallPorts(ctx))}; do`,
    '  k8sprep_firewalld_add port "$item"',
    'done',
    `for item in ${shqAll(trustedSources(ctx))}; do`,
    '  k8sprep_firewalld_add source "$item" trusted',
    'done',
    ...firewallRichRules(ctx).map((rule) => `k8sprep_firewalld_add rich-rule ${shq(rule)}`),
    '# The permanent rules become the runtime ones.',
    'if [ "$state" = running ]; then firewall-cmd --reload >/dev/null; fi',
  ].join('\n');
}

export const firewallStep: Step = {
  id: 'firewall',
  title: 'Open the Kubernetes ports in firewalld (or disable it)',
  appliesTo: () => true,
  helpers: (ctx) => (ctx.cluster.firewall === 'open-ports' ? FIREWALLD_HELPERS : ''),
  check: (ctx) =>
    ctx.cluster.firewall === 'disable' ? '! systemctl is-active --quiet firewalld && ! systemctl is-enabled --quiet firewalld 2>/dev/null' : openCheck(ctx),
  apply: (ctx) => (ctx.cluster.firewall === 'disable' ? 'systemctl disable --now firewalld' : openApply(ctx)),
};
