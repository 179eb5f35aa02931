/**
 * Preflight's cross-host checks (Phase.crossHostCheck): machine identities must be unique
 * across the cluster and clocks within 30 s of each other. Pure: facts in, problems per host
 * out. Hosts that printed no facts (failed, or preflight not selected) are simply absent.
 */
import type { Cluster } from '../../cluster/types.js';
import type { HostFacts } from '../../run/facts.js';

export const MAX_CLOCK_SKEW_SECONDS = 30;

type Problems = Map<string, string[]>;

function add(problems: Problems, host: string, problem: string): void {
  const list = problems.get(host) ?? [];
  list.push(problem);
  problems.set(host, list);
}

/** Hosts sharing a value: value -> host names, only for values held by two or more hosts. */
function shared(entries: Iterable<[string, string]>): Map<string, string[]> {
  const byValue = new Map<string, string[]>();
  for (const [host, value] of entries) byValue.set(value, [...(byValue.get(value) ?? []), host]);
  return new Map([...byValue].filter(([, hosts]) => hosts.length > 1));
}

function others(hosts: readonly string[], self: string): string {
  return hosts.filter((h) => h !== self).join(', ');
}

function checkIdentity(facts: ReadonlyMap<string, HostFacts>, problems: Problems, key: 'productUuid' | 'machineId', what: string, why: string): void {
  const values: [string, string][] = [];
  for (const [host, f] of facts) {
    const value = f[key];
    if (value) values.push([host, value]);
  }
  for (const [value, hosts] of shared(values)) {
    for (const host of hosts) add(problems, host, `${what} ${value} is also ${others(hosts, host)}'s: ${why}`);
  }
}

function checkMacs(facts: ReadonlyMap<string, HostFacts>, problems: Problems): void {
  const values: [string, string][] = [];
  const interfaceOf = new Map<string, string>();
  for (const [host, f] of facts) {
    for (const { iface, mac } of f.macs ?? []) {
      values.push([host, mac]);
      interfaceOf.set(`${host} ${mac}`, iface);
    }
  }
  // One host may legitimately show a MAC twice (bond slaves); only other hosts count.
  const unique = [...new Map(values.map((v) => [`${v[0]} ${v[1]}`, v])).values()];
  for (const [mac, hosts] of shared(unique)) {
    for (const host of hosts) {
      add(
        problems,
        host,
        `MAC address ${mac} (${interfaceOf.get(`${host} ${mac}`)}) is also on ${others(hosts, host)}: cloned network configuration? Pod networking needs unique MACs`,
      );
    }
  }
}

/**
 * A host's current hostname equal to another host's node name means the cluster file's
 * addresses are swapped (or two entries reach one machine). Duplicate hostnames as such are
 * not a problem here: the hostname step renames every host to its (unique) node name.
 */
function checkHostnames(facts: ReadonlyMap<string, HostFacts>, problems: Problems, cluster: Cluster): void {
  const nodeNames = new Map(cluster.hosts.map((h) => [h.name, h]));
  for (const [host, f] of facts) {
    const current = f.hostname?.split('.')[0]?.toLowerCase();
    const owner = current ? nodeNames.get(current) : undefined;
    if (owner && owner.name !== host) {
      add(
        problems,
        host,
        `its hostname is ${current}, the node name of another host (${owner.name}, ${owner.address}): are the addresses in the cluster file swapped?`,
      );
    }
  }
}

/**
 * Each host's clock as an offset from the runner's: its `date +%s` minus when the runner
 * received that line. Hosts are read at different moments (batches of --concurrency, slow
 * bastions), so raw clocks would differ by how long the run took, not by how far the clocks
 * are apart. The clocks that agree: the largest set of hosts whose offsets all lie within
 * 30 s of each other (earliest such window on a tie, so of two hosts 40 s apart the later
 * one is named). Every other host differs by 30 s or more from at least one host in that
 * set; it is named with the farthest one.
 */
function checkClocks(facts: ReadonlyMap<string, HostFacts>, problems: Problems): void {
  const offsets: { host: string; offset: number }[] = [];
  for (const [host, f] of facts) {
    if (f.clock) offsets.push({ host, offset: f.clock.host - f.clock.received });
  }
  offsets.sort((a, b) => a.offset - b.offset);
  let best = { from: 0, to: 0 };
  for (let from = 0, to = 0; from < offsets.length; from++) {
    while (to < offsets.length && (offsets[to]?.offset ?? 0) - (offsets[from]?.offset ?? 0) < MAX_CLOCK_SKEW_SECONDS) to++;
    if (to - from > best.to - best.from) best = { from, to };
  }
  const earliest = offsets[best.from];
  const latest = offsets[best.to - 1];
  if (!earliest || !latest) return;
  offsets.forEach(({ host, offset }, i) => {
    if (i >= best.from && i < best.to) return;
    const ahead = offset > latest.offset;
    const other = ahead ? earliest : latest;
    add(
      problems,
      host,
      `clock is ${Math.round(Math.abs(offset - other.offset))} s ${ahead ? 'ahead of' : 'behind'} ${other.host}'s; certificates and etcd need the hosts' clocks within ${MAX_CLOCK_SKEW_SECONDS} s of each other: set the time (chronyd -q, or date -s) and run again`,
    );
  });
}

export function preflightCrossHostCheck(facts: ReadonlyMap<string, HostFacts>, ctx: { cluster: Cluster }): Map<string, string[]> {
  const problems: Problems = new Map();
  checkHostnames(facts, problems, ctx.cluster);
  checkIdentity(facts, problems, 'productUuid', 'product_uuid', 'kubeadm needs a unique product_uuid per node (a cloned VM?)');
  checkIdentity(
    facts,
    problems,
    'machineId',
    'machine-id',
    'the kubelet and systemd need a unique /etc/machine-id per node (a cloned image? run rm /etc/machine-id && systemd-machine-id-setup)',
  );
  checkMacs(facts, problems);
  checkClocks(facts, problems);
  return problems;
}
