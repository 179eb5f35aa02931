import type { Cluster } from '../cluster/types.js';
import { isIP } from 'node:net';

export const ETC_HOSTS_BEGIN = '# BEGIN k8sprep cluster';
export const ETC_HOSTS_END = '# END k8sprep cluster';

/**
 * The marked block of /etc/hosts: every host whose address is an IP, by node name, so nodes
 * resolve each other (and themselves) without DNS. Hosts addressed by DNS name are left to DNS.
 * An endpoint named by DNS maps to its VIP, so joins and kubeconfigs work before (or without)
 * a DNS record for it.
 */
export function etcHostsBlock(cluster: Cluster): string {
  const lines = cluster.hosts.filter((h) => isIP(h.address) !== 0).map((h) => `${h.address} ${h.name}`);
  if (cluster.endpointName !== undefined && cluster.vip !== undefined) lines.push(`${cluster.vip} ${cluster.endpointName}`);
  return [`${ETC_HOSTS_BEGIN} ${cluster.name}: written by k8sprep, replaced on every run`, ...lines, `${ETC_HOSTS_END} ${cluster.name}`, ''].join('\n');
}
