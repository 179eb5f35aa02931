/**
 * The CNI step's manifest patch, run with bash on manifests shaped like the releases'
 * (test/hosts/fixtures): calico's commented CALICO_IPV4POOL_CIDR entry uncommented with the
 * cluster's pod CIDR, flannel's net-conf.json Network set to it, nothing else changed; a
 * manifest without the place for it refused. The download, checksum and apply run on test
 * hosts (test/e2e/bootstrap.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cniStep } from '../../src/steps/bootstrap/cni.js';
import { cniFixture } from '../hosts/file-server.js';
import { tempDir } from '../helpers/cli.js';
import { cluster, ctxFor } from './fixtures.js';

const POD_SUBNET = '10.32.0.0/12';

/** Runs the step's k8sprep_cni_patch on `manifest`: the exit status, stderr and the patched text. */
function patch(cni: 'calico' | 'flannel', manifest: string): { status: number | null; stderr: string; text: string } {
  const ctx = ctxFor(cluster({ cni, podSubnet: POD_SUBNET }), 'cp1');
  const helpers = [cniStep.helpers?.(ctx) ?? []].flat().join('\n');
  const dir = tempDir('k8sprep-cni-');
  try {
    const file = join(dir.path, 'manifest.yaml');
    writeFileSync(file, manifest);
    const script = `k8sprep_die() { echo "k8sprep: $*" >&2; exit 1; }\n${helpers}\nk8sprep_cni_patch "$1"\n`;
    const r = spawnSync('bash', ['-c', script, 'patch', file], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr, text: readFileSync(file, 'utf8') };
  } finally {
    dir.remove();
  }
}

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
const named = (all: Record<string, any>[], kind: string, name: string) => all.find((d) => d?.kind === kind && d.metadata?.name === name);

test('calico: CALICO_IPV4POOL_CIDR uncommented with the pod CIDR; every other object and field as shipped', () => {
  const original = cniFixture('calico');
  const r = patch('calico', original);
  expect([r.status, r.stderr]).toEqual([0, '']);
  const after = docs(r.text);
  const env =
    (named(after, 'DaemonSet', 'calico-node')?.spec.template.spec.containers as { name: string; env: { name: string; value?: string }[] }[]).find(
      (c) => c.name === 'calico-node',
    )?.env ?? [];
  expect(env.filter((e) => e.name === 'CALICO_IPV4POOL_CIDR')).toEqual([{ name: 'CALICO_IPV4POOL_CIDR', value: POD_SUBNET }]);
  // Without that entry, the manifest is the one shipped.
  env.splice(
    env.findIndex((e) => e.name === 'CALICO_IPV4POOL_CIDR'),
    1,
  );
  expect(after).toEqual(docs(original));
});

test('flannel: net-conf.json Network is the pod CIDR; the rest as shipped', () => {
  const original = cniFixture('flannel');
  const r = patch('flannel', original);
  expect([r.status, r.stderr]).toEqual([0, '']);
  const after = docs(r.text);
  const config = named(after, 'ConfigMap', 'kube-flannel-cfg');
  const netConf = JSON.parse(config?.data['net-conf.json'] as string) as { Network: string };
  expect(netConf.Network).toBe(POD_SUBNET);
  const shipped = docs(original);
  const shippedConf = JSON.parse(named(shipped, 'ConfigMap', 'kube-flannel-cfg')?.data['net-conf.json'] as string) as { Network: string };
  expect({ ...netConf, Network: shippedConf.Network }).toEqual(shippedConf);
  config!.data['net-conf.json'] = named(shipped, 'ConfigMap', 'kube-flannel-cfg')?.data['net-conf.json'];
  expect(after).toEqual(shipped);
});

test.each([
  ['calico', 'the calico manifest has no commented CALICO_IPV4POOL_CIDR entry to set the pod CIDR in'],
  ['flannel', 'the flannel manifest has no net-conf.json Network to set the pod CIDR in'],
] as const)('%s: a manifest without the place for the pod CIDR is refused, not applied as it is', (cni, message) => {
  const r = patch(cni, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n');
  expect([r.status, r.stderr]).toEqual([1, `k8sprep: ${message}\n`]);
});
