/**
 * Preflight's checks of what the bootstrap will need from the host's network (read-only):
 * on a control plane with kube-vip or keepalived, the VIP must lie in the subnet of the
 * interface that holds the host's own address (that is where ARP/VRRP announce it); and
 * kube-proxy's nftables mode needs kernel 5.13+ (validation checks a declared OS; this is for
 * a host whose OS was detected).
 */
import { NFTABLES_MIN_KERNEL } from '../../cluster/versions.js';
import { ADDRESS_INTERFACE, nodeIpFunction } from '../bootstrap/host-values.js';
import type { StepContext } from '../types.js';

/** Function bodies and names; empty when nothing applies to this host. */
export function endpointChecks(ctx: StepContext): { helpers: string[]; calls: string[] } {
  const helpers: string[] = [];
  const calls: string[] = [];
  const lb = ctx.cluster.controlPlaneEndpoint?.loadBalancer;
  const vip = ctx.cluster.vip;
  if (ctx.host.isControlPlane && vip && (lb === 'kube-vip' || lb === 'keepalived-haproxy')) {
    helpers.push(
      nodeIpFunction(ctx),
      ADDRESS_INTERFACE,
      String.raw`# k8sprep_ip_int A.B.C.D: the address as one number.
k8sprep_ip_int() { local a b c d; IFS=. read -r a b c d <<<"$1"; echo $(( (a << 24) + (b << 16) + (c << 8) + d )); }
k8sprep_preflight_vip() {
  local ip cidr prefix mask
  ip=$(k8sprep_node_ip 2>/dev/null) || { k8sprep_problem "cannot tell this host's IPv4 address (for the VIP ${vip})"; return 0; }
  cidr=$(ip -o -4 addr show 2>/dev/null | awk -v a="$ip" '{split($4, p, "/"); if (p[1] == a) {print $4; exit}}')
  if [ -z "$cidr" ]; then k8sprep_problem "no interface on this host holds its address $ip: ${lb} could not announce the VIP ${vip}"; return 0; fi
  prefix=${'$'}{cidr#*/}
  mask=$(( prefix == 0 ? 0 : (0xffffffff << (32 - prefix)) & 0xffffffff ))
  if [ $(( $(k8sprep_ip_int "$ip") & mask )) -ne $(( $(k8sprep_ip_int ${vip}) & mask )) ]; then
    k8sprep_problem "the VIP ${vip} is not in $cidr, the subnet of $(k8sprep_address_interface "$ip") which holds this host's address: ${lb} announces it there, and nothing else would reach it"
  fi
}`,
    );
    calls.push('k8sprep_preflight_vip');
  }
  if (ctx.cluster.kubernetes.proxyMode === 'nftables') {
    helpers.push(String.raw`k8sprep_preflight_nftables_kernel() {
  local oldest
  oldest=$(printf '%s\n' ${NFTABLES_MIN_KERNEL} "$(uname -r)" | sort -V | head -n 1)
  [ "$oldest" = ${NFTABLES_MIN_KERNEL} ] || k8sprep_problem "kernel $(uname -r) is older than ${NFTABLES_MIN_KERNEL}, which kube-proxy's nftables mode needs: use proxyMode ipvs or iptables"
}`);
    calls.push('k8sprep_preflight_nftables_kernel');
  }
  return { helpers, calls };
}
