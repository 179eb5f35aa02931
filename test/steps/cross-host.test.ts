/** preflight's cross-host checks: unique identities, clocks within 30 s, swapped addresses. */
import { preflightCrossHostCheck } from '../../src/steps/preflight/cross-host.js';
import { type HostFacts, recordFact } from '../../src/run/facts.js';
import { cluster } from './fixtures.js';

const c = cluster();
const T = 1_800_000_000;

/** A host's facts as its preflight script prints them, parsed by the runner's own parser. */
function host(name: string, extra: Record<string, string | undefined> = {}): [string, HostFacts] {
  const n = name.replace(/\D/g, '') || '9';
  const raw: Record<string, string | undefined> = {
    hostname: `fresh-${name}`,
    product_uuid: `4c4c4544-0000-0000-0000-00000000000${n}${name.length}`,
    machine_id: `${name}${'0'.repeat(32 - name.length)}`,
    macs: `eth0=52:54:00:00:00:${name.length}${n}`,
    clock: String(T),
    // The runner received every clock at the same moment T unless a test says otherwise.
    clock_received: String(T),
    ...extra,
  };
  const facts: HostFacts = {};
  const received = Number(raw.clock_received);
  for (const [key, value] of Object.entries(raw)) {
    if (key !== 'clock_received' && value !== undefined) expect(recordFact(facts, key, value, received)).toBe(true);
  }
  return [name, facts];
}

const check = (...hosts: [string, HostFacts][]) => preflightCrossHostCheck(new Map(hosts), { cluster: c });

test('distinct hosts with agreeing clocks have no problems', () => {
  expect(check(host('cp1'), host('cp2'), host('w1'), host('w2'))).toEqual(new Map());
});

test('a duplicate product_uuid is named on every host that has it, with the other hosts', () => {
  const problems = check(host('cp1', { product_uuid: 'ABCD-1' }), host('cp2', { product_uuid: 'abcd-1' }), host('w1'));
  expect(problems.get('cp1')).toEqual(["product_uuid abcd-1 is also cp2's: kubeadm needs a unique product_uuid per node (a cloned VM?)"]);
  expect(problems.get('cp2')).toEqual(["product_uuid abcd-1 is also cp1's: kubeadm needs a unique product_uuid per node (a cloned VM?)"]);
  expect(problems.has('w1')).toBe(false);
});

test('a missing product_uuid is unknown, not a duplicate: machine-id stands in', () => {
  const noUuid = (name: string, machineId?: string) => host(name, { product_uuid: undefined, ...(machineId ? { machine_id: machineId } : {}) });
  expect(check(noUuid('cp1'), noUuid('cp2'), noUuid('w1'))).toEqual(new Map());
  const cloned = check(noUuid('cp1', 'f'.repeat(32)), noUuid('cp2', 'f'.repeat(32)));
  expect(cloned.get('cp1')?.[0]).toMatch(/^machine-id f{32} is also cp2's: the kubelet and systemd need a unique \/etc\/machine-id/);
  expect(cloned.get('cp2')?.[0]).toMatch(/is also cp1's/);
});

test('a MAC shared between hosts is reported with its interface; one host showing a MAC twice is not', () => {
  const problems = check(
    host('cp1', { macs: 'eth0=52:54:00:aa:bb:cc eth1=52:54:00:00:00:01' }),
    host('w1', { macs: 'ens3=52:54:00:AA:BB:CC' }),
    host('cp2', { macs: 'bond0=52:54:00:12:12:12 eth0=52:54:00:12:12:12' }),
  );
  expect(problems.get('cp1')).toEqual(['MAC address 52:54:00:aa:bb:cc (eth0) is also on w1: cloned network configuration? Pod networking needs unique MACs']);
  expect(problems.get('w1')).toEqual(['MAC address 52:54:00:aa:bb:cc (ens3) is also on cp1: cloned network configuration? Pod networking needs unique MACs']);
  expect(problems.has('cp2')).toBe(false);
});

test('clock skew of 30 s or more is reported on the host that is off; 29 s is fine', () => {
  expect(check(host('cp1'), host('cp2', { clock: String(T + 29) }), host('w1', { clock: String(T + 10) }))).toEqual(new Map());
  const problems = check(host('cp1'), host('cp2', { clock: String(T + 2) }), host('w1', { clock: String(T - 45) }));
  expect([...problems.keys()]).toEqual(['w1']);
  expect(problems.get('w1')).toEqual([
    "clock is 47 s behind cp2's; certificates and etcd need the hosts' clocks within 30 s of each other: set the time (chronyd -q, or date -s) and run again",
  ]);
});

test('skew is between every pair: 29 s either side of one host is 58 s between the other two', () => {
  const problems = check(host('w1', { clock: String(T - 29) }), host('cp1'), host('cp2', { clock: String(T + 29) }));
  expect([...problems.keys()]).toEqual(['cp2']);
  expect(problems.get('cp2')?.[0]).toMatch(/^clock is 58 s ahead of w1's/);
});

test('with two hosts 30 s apart, the later one is named (the reference is the earlier)', () => {
  const problems = check(host('cp1', { clock: String(T + 31) }), host('w1'));
  expect([...problems.keys()]).toEqual(['cp1']);
  expect(problems.get('cp1')?.[0]).toMatch(/^clock is 31 s ahead of w1's/);
});

test('a clock that is not a number is not compared (nothing to measure)', () => {
  const problems = check(host('cp1'), host('w2', { clock: 'soon' }));
  expect(problems).toEqual(new Map());
});

test("skew is measured against the runner's clock: each host's clock minus when its line arrived", () => {
  // w1 ran 60 s later (a slow connection) but its clock agrees: no problem.
  const late = check(host('cp1', { clock_received: String(T) }), host('w1', { clock: String(T + 60), clock_received: String(T + 60) }));
  expect(late).toEqual(new Map());
  const off = check(host('cp1', { clock_received: String(T) }), host('w1', { clock: String(T + 60), clock_received: String(T + 1) }));
  expect(off.get('w1')?.[0]).toMatch(/^clock is 59 s ahead/);
});

test("a hostname that is another host's node name means swapped addresses; duplicate fresh hostnames do not matter", () => {
  const problems = check(
    host('cp1', { hostname: 'cp2' }),
    host('cp2', { hostname: 'localhost.localdomain' }),
    host('w1', { hostname: 'localhost.localdomain' }),
  );
  expect(problems.get('cp1')).toEqual([
    'its hostname is cp2, the node name of another host (cp2, 192.168.77.12): are the addresses in the cluster file swapped?',
  ]);
  expect(problems.has('cp2')).toBe(false);
  expect(problems.has('w1')).toBe(false);
  // A prepared host reporting its own node name (second run) is fine.
  expect(check(host('cp1', { hostname: 'cp1' }), host('cp2', { hostname: 'cp2.example.com' }))).toEqual(new Map());
});

test('all problems of a host are listed together; hosts without facts are ignored', () => {
  const problems = check(
    host('cp1', { product_uuid: 'same', machine_id: 'same', macs: 'eth0=aa:aa:aa:aa:aa:aa', clock: String(T + 100) }),
    host('cp2', { product_uuid: 'same', machine_id: 'same', macs: 'eth0=aa:aa:aa:aa:aa:aa' }),
    ['w1', {}],
  );
  expect(problems.get('cp1')).toHaveLength(4);
  expect(problems.get('cp2')).toHaveLength(3);
  expect(problems.has('w1')).toBe(false);
});
