/**
 * `certs check --dir` on any kubeadm tree (issue 10 item 3), through the built CLI: a tree
 * laid out like a control plane's /etc/kubernetes (pki/ + kubeconfigs; built with the
 * project's own PKI code, then copied out of nodes/cp1) is checked with no cluster file at
 * all — expiry, chains, keys — and the checks that need a cluster file (subjects, SANs,
 * servers) run only with -c or a ./cluster.yaml, and the output says which.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateRsaKeyPair } from '../../src/pki/keys.js';
import { generatePki } from '../../src/pki/generate.js';
import { KUBEADM_TREE } from '../../src/pki/inspect.js';
import { kubeletKubeconfigSpec, nodeKubeconfigSpecs, nodeLeafSpecs } from '../../src/pki/spec.js';
import { assertBuilt, runCli } from '../helpers/cli.js';
import { clusterYaml, tempDir, testCluster } from './fixture.js';
import { kubeletConf } from './remote-fixture.js';

interface CheckJson {
  layout: string;
  comparedWith: string | null;
  nodes: { host: string; root: string; certificates: { name: string; residualSeconds?: number; problems: string[] }[]; authorities: { name: string }[] }[];
  problems: string[];
  ok: boolean;
}

let tmp: ReturnType<typeof tempDir>;
/** A control plane's /etc/kubernetes, copied out of certs generate's nodes/cp1. */
let tree = '';
let pki = '';
/** No cluster.yaml here. */
let bare = '';

beforeAll(async () => {
  assertBuilt();
  tmp = tempDir('k8sprep-check-dir-');
  pki = join(tmp.path, 'pki');
  const cluster = testCluster({ name: 'handmade' });
  await generatePki(cluster, pki);
  tree = join(tmp.path, 'etc-kubernetes');
  cpSync(join(pki, 'nodes', 'cp1'), tree, { recursive: true });
  // kubeadm writes the kubelet's kubeconfig on the host (k8sprep never generates it).
  writeFileSync(join(tree, 'kubelet.conf'), await kubeletConf(pki, cluster, cluster.controlPlanes[0]!, 'embedded'), { mode: 0o600 });
  bare = join(tmp.path, 'bare');
  mkdirSync(bare);
}, 120_000);
afterAll(() => tmp.remove());

const check = (cwd: string, ...args: string[]) => runCli(['certs', 'check', ...args], { cwd });

test('the generic kubeadm names are the ones the cluster specs give', () => {
  const c = testCluster();
  const host = c.controlPlanes[0]!;
  expect(KUBEADM_TREE.leaves).toEqual(nodeLeafSpecs(c, host).map((l) => ({ name: l.name, base: l.base, ca: l.ca })));
  expect(KUBEADM_TREE.kubeconfigs.map((k) => k.file).sort()).toEqual(
    [...nodeKubeconfigSpecs(c, host), kubeletKubeconfigSpec(c, host)].map((k) => k.file).sort(),
  );
});

test('a kubeadm tree without any cluster file: the table, the CAs, exit 0, and it says nothing was compared', async () => {
  const r = await check(bare, '--dir', tree);
  expect([r.code, r.stderr]).toEqual([0, '']);
  expect(r.stdout.split('\n')[0]).toBe(
    `${tree}: a kubeadm /etc/kubernetes tree; no cluster file: expiry, chains and keys only (-c FILE, or ./cluster.yaml, also compares subjects and SANs)`,
  );
  expect(r.stdout).toMatch(/^\[cp1\] $/m);
  for (const name of ['admin.conf', 'apiserver', 'apiserver-etcd-client', 'etcd-peer', 'front-proxy-client', 'kubelet.conf', 'super-admin.conf']) {
    expect(r.stdout).toMatch(new RegExp(`^${name.replace('.', '\\.')} +\\w{3} \\d{2}, \\d{4} \\d{2}:\\d{2} UTC +364d +\\S+ +ok$`, 'm'));
  }
  expect(r.stdout).not.toContain('PROBLEMS');
});

test('--json on the same tree: layout, comparedWith null, every leaf and kubeconfig with its expiry', async () => {
  const r = await check(bare, '--dir', tree, '--json');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as CheckJson;
  expect([out.layout, out.comparedWith, out.ok, out.problems]).toEqual(['kubeadm', null, true, []]);
  expect(out.nodes).toHaveLength(1);
  const node = out.nodes[0]!;
  expect([node.host, node.root]).toEqual(['cp1', '']);
  // 7 leaves + admin, super-admin (first control plane, 1.29+), controller-manager, scheduler, kubelet.
  expect(node.certificates).toHaveLength(12);
  expect(node.certificates.every((c) => (c.residualSeconds ?? 0) > 300 * 86400 && c.problems.length === 0)).toBe(true);
  expect(node.authorities.map((a) => a.name)).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
});

test('what needs no cluster file is still checked: a key that does not match its certificate is a problem (exit 1)', async () => {
  const broken = join(tmp.path, 'broken');
  cpSync(tree, broken, { recursive: true });
  writeFileSync(join(broken, 'pki', 'apiserver.key'), (await generateRsaKeyPair(2048)).privateKey);
  const r = await check(bare, '--dir', broken);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^PROBLEMS\n {2}cp1: apiserver: .*(match|matches)/m);
  expect(r.stdout.split('\n').filter((l) => l.startsWith('  cp1: '))).toHaveLength(1);
});

test('SANs against a cluster file only when given: -c with a changed endpoint flags the apiserver; without it, nothing', async () => {
  const moved = join(tmp.path, 'moved.yaml');
  writeFileSync(moved, clusterYaml({ name: 'handmade', endpoint: '192.168.56.200' }));
  const r = await check(bare, '--dir', tree, '-c', moved);
  expect(r.code).toBe(1);
  expect(r.stdout.split('\n')[0]).toBe(`${tree}: a kubeadm /etc/kubernetes tree; subjects, SANs and servers compared with ${moved} (control plane cp1)`);
  expect(r.stdout).toMatch(/cp1: apiserver: SANs no longer match the cluster: .*192\.168\.56\.200/);
  expect(r.stdout).toMatch(/cp1: admin\.conf: server is https:\/\/192\.168\.56\.100:6443, the cluster wants https:\/\/192\.168\.56\.200:6443/);
  expect((await check(bare, '--dir', tree)).code).toBe(0);
});

test('a ./cluster.yaml in the working directory is used, and named', async () => {
  const cwd = join(tmp.path, 'with-file');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'cluster.yaml'), readFileSync(join(tmp.path, 'moved.yaml'), 'utf8'));
  const r = await check(cwd, '--dir', tree, '--json');
  expect(r.code).toBe(1);
  const out = JSON.parse(r.stdout) as CheckJson;
  expect(out.comparedWith).toBe('cluster.yaml (control plane cp1)');
  expect(out.problems.some((p) => p.startsWith('cp1: apiserver: SANs no longer match'))).toBe(true);
});

test("k8sprep's own layout (nodes/) without a cluster file: every node tree and the shared CAs", async () => {
  const r = await check(bare, '--dir', pki, '--json');
  expect([r.code, r.stderr]).toEqual([0, '']);
  const out = JSON.parse(r.stdout) as CheckJson & { shared: { authorities: unknown[] } };
  expect([out.layout, out.comparedWith]).toEqual(['k8sprep', null]);
  expect(out.nodes.map((n) => n.host)).toEqual(['cp1', 'cp2', 'cp3']);
  // No kubelet.conf in k8sprep's own trees: kubeadm writes it on the host.
  expect(out.nodes.map((n) => n.certificates.length)).toEqual([11, 10, 10]);
  expect(out.shared.authorities).toHaveLength(3);
});

test('a directory of neither layout: one line, exit 2; the pki/ directory itself gets a hint', async () => {
  const r = await check(bare, '--dir', join(tree, 'pki'));
  expect([r.code, r.stdout]).toEqual([2, '']);
  expect(r.stderr).toBe(
    `--dir: ${join(tree, 'pki')}: neither k8sprep's PKI directory (with nodes/) nor a kubeadm /etc/kubernetes tree (with pki/): it looks like a pki/ directory, give its parent\n`,
  );
});
