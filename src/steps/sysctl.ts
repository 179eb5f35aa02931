import type { Cluster } from '../cluster/types.js';
import { shq } from '../script/quote.js';
import { fileMatches, writeFile } from '../script/files.js';
import type { Step } from './types.js';

export const SYSCTL_CONF = '/etc/sysctl.d/99-k8s.conf';

/** DESIGN §4's table, in its order. */
export const DEFAULT_SYSCTL: ReadonlyArray<readonly [string, string]> = [
  ['net.bridge.bridge-nf-call-ip6tables', '1'],
  ['net.bridge.bridge-nf-call-iptables', '1'],
  ['net.ipv4.ip_forward', '1'],
  ['net.ipv4.tcp_slow_start_after_idle', '0'],
  ['net.core.rmem_max', '16777216'],
  ['net.core.wmem_max', '16777216'],
  ['net.ipv4.tcp_rmem', '4096 12582912 16777216'],
  ['net.ipv4.tcp_wmem', '4096 12582912 16777216'],
  ['net.core.somaxconn', '32768'],
  ['net.core.netdev_max_backlog', '16384'],
  ['net.ipv4.tcp_max_syn_backlog', '8096'],
  ['fs.inotify.max_user_watches', '524288'],
  ['fs.inotify.max_user_instances', '8192'],
  ['fs.inotify.max_queued_events', '16384'],
  ['fs.file-max', '2097152'],
  ['vm.max_map_count', '262144'],
  ['vm.swappiness', '0'],
  ['kernel.softlockup_all_cpu_backtrace', '1'],
  ['kernel.softlockup_panic', '1'],
];

/** The built-in table with the cluster's overrides applied (null removes a key; new keys go last). */
export function sysctlSettings(cluster: Cluster): [string, string][] {
  const merged = new Map<string, string>(DEFAULT_SYSCTL.map(([k, v]) => [k, v]));
  for (const [key, value] of Object.entries(cluster.sysctl)) {
    if (value === null) merged.delete(key);
    else merged.set(key, String(value).trim().replace(/\s+/g, ' '));
  }
  return [...merged];
}

function conf(cluster: Cluster) {
  const lines = sysctlSettings(cluster).map(([k, v]) => `${k} = ${v}`);
  return { path: SYSCTL_CONF, mode: '644', content: `# Kubernetes node settings, written by k8sprep.\n${lines.join('\n')}\n` };
}

export const sysctlStep: Step = {
  id: 'sysctl',
  title: 'Tune kernel parameters for Kubernetes, now and at boot',
  appliesTo: () => true,
  helpers: () =>
    [
      '# $1 is key=value (one word: a value may start with "-"); the kernel prints multi-value settings tab-separated.',
      'k8sprep_sysctl_is() { [ "$(sysctl -n "${1%%=*}" 2>/dev/null | tr -s \'[:space:]\' \' \' | sed \'s/ $//\')" = "${1#*=}" ]; }',
    ].join('\n'),
  check: (ctx) =>
    [
      fileMatches(conf(ctx.cluster), '|| return 1'),
      sysctlSettings(ctx.cluster)
        .map(([k, v]) => `k8sprep_sysctl_is ${shq(`${k}=${v}`)}`)
        .join(' &&\n'),
    ].join('\n'),
  apply: (ctx) => [writeFile(conf(ctx.cluster)), 'sysctl --system >/dev/null'].join('\n'),
};
