/**
 * What `kubeadm reset` leaves behind (its own closing message says so, DESIGN §4 "Reset"):
 * the CNI's configuration and state, the load balancer's manifests and configs, k8sprep's
 * kubeadm configs (they hold the token), the CNI's and kube-proxy's interfaces, the iptables
 * chains Kubernetes and the CNI made — only those (KUBE-*, cali-*, FLANNEL-*), never a whole
 * table: on CentOS 7 a flush would also wipe firewalld's rules — then firewalld reloaded,
 * kube-proxy's IPVS table, a VIP left on an interface, and root's kubeconfig.
 */
import { shqAll } from '../../script/quote.js';
import { CHECK_APISERVER, HAPROXY_CFG, HAPROXY_MANIFEST, KEEPALIVED_CONF, KEEPALIVED_MANIFEST, KUBE_VIP_MANIFEST } from '../../templates/load-balancer.js';
import type { Step, StepContext } from '../types.js';

const PATHS = [
  '/etc/cni/net.d',
  '/var/lib/cni',
  '/var/lib/calico',
  '/run/flannel',
  KUBE_VIP_MANIFEST,
  HAPROXY_MANIFEST,
  KEEPALIVED_MANIFEST,
  HAPROXY_CFG,
  KEEPALIVED_CONF,
  CHECK_APISERVER,
  '/etc/kubernetes/k8sprep',
  '/root/.kube',
];
/** tunl0 belongs to the ipip module: it goes only with `modprobe -r ipip`. */
const INTERFACES = ['cni0', 'flannel.1', 'vxlan.calico', 'kube-ipvs0', 'tunl0'];
const CHAINS = '^(KUBE-|cali-|FLANNEL-)';

const HELPERS = String.raw`# k8sprep_k8s_chains CMD TABLE: the chains Kubernetes and the CNI made in TABLE.
k8sprep_k8s_chains() {
  "$1-save" -t "$2" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' | grep -E '${CHAINS}' || true
}
# k8sprep_drop_k8s_chains CMD TABLE: removes them, and only them: first every rule that jumps to
# one of them from another chain, then their rules, then the chains (one restore, --noflush).
k8sprep_drop_k8s_chains() {
  local chains
  chains=$(k8sprep_k8s_chains "$1" "$2")
  [ -n "$chains" ] || return 0
  {
    echo "*$2"
    "$1-save" -t "$2" | awk -v re='${CHAINS}' '$1 == "-A" && $2 !~ re { for (i = 3; i <= NF; i++) if (($i == "-j" || $i == "-g") && $(i + 1) ~ re) { $1 = "-D"; print; break } }'
    printf '%s\n' "$chains" | sed 's/^/-F /'
    printf '%s\n' "$chains" | sed 's/^/-X /'
    echo COMMIT
  } | "$1-restore" --noflush
}
k8sprep_reset_leftovers() {
  local p t cmd
  for p in ${shqAll(PATHS)}; do [ -e "$p" ] && echo "$p"; done
  for p in ${shqAll(INTERFACES)}; do ip link show "$p" >/dev/null 2>&1 && echo "interface $p"; done
  for cmd in iptables ip6tables; do
    command -v "$cmd-save" >/dev/null 2>&1 || continue
    for t in filter nat mangle raw; do
      [ -n "$(k8sprep_k8s_chains "$cmd" "$t")" ] && echo "$cmd $t chains"
    done
  done
  if command -v ipvsadm >/dev/null 2>&1 && [ -n "$(ipvsadm -Sn 2>/dev/null)" ]; then echo 'ipvs table'; fi
  return 0
}`;

function vipHelpers(ctx: StepContext): string {
  const vip = ctx.cluster.vip;
  return [
    '# The VIP kube-vip or keepalived held here, if it is still on an interface.',
    'k8sprep_vip_left() {',
    vip ? `  ip -o -4 addr show 2>/dev/null | awk -v v=${vip} '{split($4, p, "/"); if (p[1] == v) print $2 " " $4}'` : '  :',
    '}',
  ].join('\n');
}

export const resetCleanupStep: Step = {
  id: 'reset-cleanup',
  title: 'Remove what kubeadm reset leaves: CNI, load balancer, interfaces, iptables chains, IPVS',
  appliesTo: () => true,
  helpers: (ctx) => [HELPERS, vipHelpers(ctx)],
  // tunl0 may stay until a reboot (the ipip module in use): no reason to fail, or to run again.
  check: () => `! k8sprep_reset_leftovers | grep -v '^interface tunl0$' | grep -q . && [ -z "$(k8sprep_vip_left)" ]`,
  apply: () =>
    [
      'local p cmd t left',
      `for p in ${shqAll(PATHS)}; do if [ -e "$p" ]; then k8sprep_backup "$p"; rm -rf "$p"; fi; done`,
      `for p in ${shqAll(INTERFACES.filter((i) => i !== 'tunl0'))}; do if ip link show "$p" >/dev/null 2>&1; then ip link delete "$p"; fi; done`,
      'if ip link show tunl0 >/dev/null 2>&1; then modprobe -r ipip || echo "k8sprep: tunl0 stays until the ipip module can be unloaded (after a reboot)" >&2; fi',
      'for cmd in iptables ip6tables; do',
      '  command -v "$cmd-save" >/dev/null 2>&1 || continue',
      '  for t in filter nat mangle raw; do k8sprep_drop_k8s_chains "$cmd" "$t"; done',
      'done',
      '# firewalld re-applies its own rules (the chains above were never its).',
      'if systemctl is-active --quiet firewalld; then firewall-cmd --reload >/dev/null; fi',
      'if command -v ipvsadm >/dev/null 2>&1; then ipvsadm -C; fi',
      'while read -r p left; do ip addr del "$left" dev "$p"; done < <(k8sprep_vip_left)',
    ].join('\n'),
};
