/**
 * The /etc/hosts block, read by the real resolver: glibc's getent in a private mount
 * namespace where the block is /etc/hosts and nsswitch consults files only (no DNS query
 * leaves this machine). Needs root, like the test hosts.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';
import { etcHostsBlock } from '../../src/templates/etc-hosts.js';
import { tempDir } from '../helpers/cli.js';

const dir = tempDir();
afterAll(() => dir.remove());

/** `getent hosts NAME` for each name, with `block` as the whole of /etc/hosts: the address, or null when not found. */
function resolveWith(block: string, names: readonly string[]): (string | null)[] {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (a private mount namespace), like the test hosts');
  writeFileSync(join(dir.path, 'hosts'), block);
  writeFileSync(join(dir.path, 'nsswitch.conf'), 'hosts: files\n');
  const lookups = names.map((n) => `if found=$(getent hosts "${n}"); then echo "$found" | awk '{print $1}'; else echo none; fi`).join('\n');
  const r = spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-ec',
      `mount --bind "$1/hosts" /etc/hosts\nmount --bind "$1/nsswitch.conf" /etc/nsswitch.conf\n${lookups}`,
      'sh',
      dir.path,
    ],
    { encoding: 'utf8' },
  );
  expect([r.stderr, r.status]).toEqual(['', 0]);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(names.length);
  return lines.map((l) => (l === 'none' ? null : l));
}

const cluster = (endpoint: string): Cluster =>
  parseClusterText(
    `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: hosts}
spec:
  kubernetes: {version: "1.30.6"}
  controlPlaneEndpoint: ${endpoint}
  hosts:
    - {name: cp1, address: 10.1.0.11, roles: [control-plane]}
    - {name: cp2, address: 10.1.0.12, roles: [control-plane]}
    - {name: w1, address: w1.nodes.example, roles: [worker]}
`,
    'hosts.yaml',
  );

test('an endpoint named by DNS resolves to its VIP on every host; node names to their addresses', () => {
  const block = etcHostsBlock(cluster('{host: api.lab.example, address: 10.1.0.100, loadBalancer: keepalived-haproxy}'));
  expect(resolveWith(block, ['api.lab.example', 'cp1', 'cp2', 'w1'])).toEqual(['10.1.0.100', '10.1.0.11', '10.1.0.12', null]);
});

test("an IP endpoint needs no entry (not even a reverse one); an external balancer's name is left to DNS", () => {
  expect(resolveWith(etcHostsBlock(cluster('{host: 10.1.0.100}')), ['cp1', '10.1.0.100'])).toEqual(['10.1.0.11', null]);
  expect(resolveWith(etcHostsBlock(cluster('{host: api.lab.example, loadBalancer: external}')), ['cp1', 'api.lab.example'])).toEqual(['10.1.0.11', null]);
});
