/**
 * Where a cluster came from travels with it as a field (cluster.source, host.sshOrigins),
 * not in a side table keyed by the object: a copy still locates problems found after loading.
 */
import { requireIdentityFiles } from '../../src/cluster/identity-files.js';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';
import { InputError } from '../../src/errors.js';

const TEXT = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: src}
spec:
  kubernetes: {version: "1.30.6"}
  ssh:
    identityFile: /nonexistent/k8sprep-default-key
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
    - {name: b, address: 10.1.0.2, roles: [worker], ssh: {identityFile: /nonexistent/k8sprep-own-key}}
`;

function refusal(cluster: Cluster, hosts = cluster.hosts): string[] {
  try {
    requireIdentityFiles(cluster, hosts);
  } catch (err) {
    if (err instanceof InputError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected an InputError');
}

const EXPECTED = [
  'c.yaml:7:19: spec.hosts[0].ssh.identityFile: /nonexistent/k8sprep-default-key: no such file (from spec.ssh.identityFile)',
  'c.yaml:10:73: spec.hosts[1].ssh.identityFile: /nonexistent/k8sprep-own-key: no such file',
];

test('a missing identity file is located where it is written (an inherited default at spec.ssh)', () => {
  const cluster = parseClusterText(TEXT, 'c.yaml', '/srv/c.yaml');
  expect(cluster.source.file).toBe('/srv/c.yaml');
  expect(refusal(cluster)).toEqual(EXPECTED);
  expect(refusal(cluster, [cluster.hosts[1]!])).toEqual([EXPECTED[1]]);
});

test('a spread copy of the cluster, and copies of its hosts, still locate it', () => {
  const cluster = parseClusterText(TEXT, 'c.yaml');
  const copy: Cluster = { ...cluster, hosts: cluster.hosts.map((h) => ({ ...h, ssh: { ...h.ssh } })) };
  expect(refusal(copy)).toEqual(EXPECTED);
});
