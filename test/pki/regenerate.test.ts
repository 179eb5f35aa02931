/**
 * `generatePki` is idempotent (issue 4): CAs and sa keys are never replaced; leaves and
 * kubeconfig client certificates are kept while valid and matching, re-issued otherwise;
 * a changed endpoint re-issues only the apiserver certificates and rewrites the kubeconfigs
 * that point at the endpoint (keeping their client certificates).
 */
import { chmodSync, copyFileSync, cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generatePki, type GenerateReport } from '../../src/pki/generate.js';
import { PkiError } from '../../src/pki/errors.js';
import { testCluster, tempDir } from './fixture.js';
import { describeCert, requireTool, snapshot } from './tools.js';

let tmp: ReturnType<typeof tempDir>;
/** One generated PKI, copied for each test so they do not pay for key generation again. */
let base = '';
let other = '';
let dir = '';
let n = 0;

const SHARED = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'];
const cluster = (o: Parameters<typeof testCluster>[0] = {}) => testCluster({ name: 'regen', ...o });

function actions(r: GenerateReport, action: string): string[] {
  return r.files
    .filter((f) => f.action === action)
    .map((f) => f.path)
    .sort();
}

function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  const all = new Set([...before.keys(), ...after.keys()]);
  return [...all].filter((p) => before.get(p) !== after.get(p)).sort();
}

const clientCertData = (text: string) => parse(text).users[0].user['client-certificate-data'] as string;

beforeAll(async () => {
  requireTool('openssl');
  tmp = tempDir('k8sprep-regen-');
  base = join(tmp.path, 'base');
  other = join(tmp.path, 'other');
  await generatePki(cluster(), base);
  await generatePki(testCluster({ name: 'other' }), other);
});
afterAll(() => tmp?.remove());
beforeEach(() => {
  dir = join(tmp.path, `run${n++}`);
  cpSync(base, dir, { recursive: true });
});

test('a second run keeps every file byte for byte', async () => {
  const before = snapshot(dir);
  const r = await generatePki(cluster(), dir);
  expect(r.files.map((f) => f.action).every((a) => a === 'kept')).toBe(true);
  expect(r.files).toHaveLength(before.size);
  expect(changedFiles(before, snapshot(dir))).toEqual([]);
});

test('a kubelet.conf an earlier version left in a node tree is removed (it is never placed on a host); nothing else changes', async () => {
  const stale = join(dir, 'nodes/cp2/kubelet.conf');
  copyFileSync(join(dir, 'nodes/cp2/admin.conf'), stale);
  const before = snapshot(dir);
  const r = await generatePki(cluster(), dir);
  expect(existsSync(stale)).toBe(false);
  expect(r.files.filter((f) => f.action !== 'kept')).toEqual([
    { path: 'nodes/cp2/kubelet.conf', action: 'removed', reason: 'kubelet.conf is never placed on a host: the kubelet makes its own' },
  ]);
  expect(changedFiles(before, snapshot(dir))).toEqual(['nodes/cp2/kubelet.conf']);
});

test('a changed endpoint re-issues the apiserver certificates only; kubeconfigs at the endpoint are rewritten with their client certificates kept', async () => {
  const before = snapshot(dir);
  const r = await generatePki(cluster({ endpoint: '192.168.56.200' }), dir);
  const after = snapshot(dir);
  const apiserver = ['cp1', 'cp2', 'cp3'].flatMap((h) => [`nodes/${h}/pki/apiserver.crt`, `nodes/${h}/pki/apiserver.key`]);
  const endpointConfs = ['nodes/cp1/super-admin.conf', ...['cp1', 'cp2', 'cp3'].map((h) => `nodes/${h}/admin.conf`)];
  expect(actions(r, 'reissued')).toEqual(apiserver.sort());
  expect(actions(r, 'updated')).toEqual(endpointConfs.sort());
  expect(actions(r, 'created')).toEqual([]);
  expect(changedFiles(before, after)).toEqual([...apiserver, ...endpointConfs].sort());
  // CAs and sa keys byte-identical (also every node's copy).
  for (const f of SHARED) expect(after.get(f)).toBe(before.get(f));
  for (const conf of endpointConfs) {
    expect(clientCertData(after.get(conf) ?? '')).toBe(clientCertData(before.get(conf) ?? ''));
    expect(parse(after.get(conf) ?? '').clusters[0].cluster.server).toBe('https://192.168.56.200:6443');
  }
  const reason = r.files.find((f) => f.path === 'nodes/cp2/pki/apiserver.crt')?.reason ?? '';
  expect(reason).toContain('missing IP:192.168.56.200');
  expect(reason).toContain('unexpected IP:192.168.56.100');
  const san = (await describeCert(join(dir, 'nodes/cp2/pki/apiserver.crt'))).ext['Subject Alternative Name']?.value;
  expect(san).toContain('IP Address:192.168.56.200');
  expect(san).not.toContain('IP Address:192.168.56.100');
  // ... and that state is now stable.
  const again = await generatePki(cluster({ endpoint: '192.168.56.200' }), dir);
  expect(again.files.length).toBeGreaterThan(0);
  expect(again.files.filter((f) => f.action !== 'kept')).toEqual([]);
});

test('a missing or foreign leaf is re-issued, nothing else changes', async () => {
  rmSync(join(dir, 'nodes/cp2/pki/etcd/peer.key'));
  rmSync(join(dir, 'nodes/cp3/pki/front-proxy-client.crt'));
  rmSync(join(dir, 'nodes/cp3/pki/front-proxy-client.key'));
  // A certificate signed by another cluster's CA, with its own (matching) key.
  copyFileSync(join(other, 'nodes/cp1/pki/apiserver-etcd-client.crt'), join(dir, 'nodes/cp1/pki/apiserver-etcd-client.crt'));
  copyFileSync(join(other, 'nodes/cp1/pki/apiserver-etcd-client.key'), join(dir, 'nodes/cp1/pki/apiserver-etcd-client.key'));
  const before = snapshot(dir);
  const r = await generatePki(cluster(), dir);
  const byPath = new Map(r.files.map((f) => [f.path, f]));
  expect(byPath.get('nodes/cp2/pki/etcd/peer.crt')).toEqual({ path: 'nodes/cp2/pki/etcd/peer.crt', action: 'reissued', reason: 'key missing' });
  expect(byPath.get('nodes/cp3/pki/front-proxy-client.crt')?.action).toBe('created');
  expect(byPath.get('nodes/cp1/pki/apiserver-etcd-client.crt')?.reason).toBe('not signed by its CA (etcd-ca)');
  expect(changedFiles(before, snapshot(dir))).toEqual(
    [
      'nodes/cp2/pki/etcd/peer.crt',
      'nodes/cp2/pki/etcd/peer.key',
      'nodes/cp3/pki/front-proxy-client.crt',
      'nodes/cp3/pki/front-proxy-client.key',
      'nodes/cp1/pki/apiserver-etcd-client.crt',
      'nodes/cp1/pki/apiserver-etcd-client.key',
    ].sort(),
  );
});

test('a key that does not match its certificate is re-issued', async () => {
  copyFileSync(join(dir, 'nodes/cp1/pki/front-proxy-client.key'), join(dir, 'nodes/cp1/pki/apiserver-kubelet-client.key'));
  const r = await generatePki(cluster(), dir);
  expect(r.files.find((f) => f.path === 'nodes/cp1/pki/apiserver-kubelet-client.crt')).toMatchObject({
    action: 'reissued',
    reason: 'private key does not match the certificate',
  });
});

test('leaves in the last 10% of their lifetime are re-issued; the CAs are not', async () => {
  const short = join(tmp.path, 'short');
  const c = cluster({ certValidity: '24h', hosts: [{ name: 'solo', address: '10.1.0.1' }] });
  const now = Date.now();
  // Generated 20h ago: 4h (17%) left, kept; generated 22h ago: 2h (8%) left, re-issued.
  await generatePki(c, short, { now: new Date(now - 20 * 3_600_000) });
  const kept = await generatePki(c, short);
  expect(kept.files.length).toBeGreaterThan(0);
  expect(kept.files.filter((f) => f.action !== 'kept')).toEqual([]);
  rmSync(short, { recursive: true });
  await generatePki(c, short, { now: new Date(now - 22 * 3_600_000) });
  const cas = SHARED.map((f) => readFileSync(join(short, f), 'utf8'));
  const r = await generatePki(c, short);
  expect(SHARED.map((f) => readFileSync(join(short, f), 'utf8'))).toEqual(cas);
  const leafFiles = r.files.filter((f) => /\/pki\/(apiserver|front-proxy-client|etcd\/(server|peer|healthcheck-client))|\.conf$/.test(f.path));
  expect(leafFiles.length).toBeGreaterThan(0);
  for (const f of leafFiles) {
    expect(f.action).toBe('reissued');
    expect(f.reason).toMatch(/within the last 10% of its lifetime/);
  }
  const apiserver = await describeCert(join(short, 'nodes/solo/pki/apiserver.crt'));
  expect(apiserver.notAfter.getTime()).toBeGreaterThan(now + 23 * 3_600_000);
  rmSync(short, { recursive: true });
});

test('moving to 1.29 re-issues what changes group (admin, apiserver-kubelet-client) and adds super-admin.conf on the first control plane', async () => {
  const old = join(tmp.path, 'v128');
  const hosts = [
    { name: 'a1', address: '10.2.0.1' },
    { name: 'a2', address: '10.2.0.2' },
  ];
  await generatePki(cluster({ version: '1.28.9', hosts, endpoint: '10.2.0.100' }), old);
  const r = await generatePki(cluster({ version: '1.29.4', hosts, endpoint: '10.2.0.100' }), old);
  const changed = r.files.filter((f) => f.action !== 'kept').map((f) => `${f.action} ${f.path}`);
  expect(changed.sort()).toEqual(
    [
      'created nodes/a1/super-admin.conf',
      'reissued nodes/a1/admin.conf',
      'reissued nodes/a1/pki/apiserver-kubelet-client.crt',
      'reissued nodes/a1/pki/apiserver-kubelet-client.key',
      'reissued nodes/a2/admin.conf',
      'reissued nodes/a2/pki/apiserver-kubelet-client.crt',
      'reissued nodes/a2/pki/apiserver-kubelet-client.key',
    ].sort(),
  );
  expect(r.files.find((f) => f.path === 'nodes/a2/admin.conf')?.reason).toContain('the cluster wants O=kubeadm:cluster-admins, CN=kubernetes-admin');
  rmSync(old, { recursive: true });
});

test('permissions are repaired without touching contents', async () => {
  chmodSync(join(dir, 'nodes/cp1/pki/apiserver.key'), 0o644);
  chmodSync(join(dir, 'nodes/cp2'), 0o755);
  const before = snapshot(dir);
  const r = await generatePki(cluster(), dir);
  expect(r.files.find((f) => f.path === 'nodes/cp1/pki/apiserver.key')).toEqual({
    path: 'nodes/cp1/pki/apiserver.key',
    action: 'updated',
    reason: 'mode 0644 -> 0600',
  });
  expect(statSync(join(dir, 'nodes/cp1/pki/apiserver.key')).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'nodes/cp2')).mode & 0o777).toBe(0o700);
  expect(changedFiles(before, snapshot(dir))).toEqual([]);
});

test('sa.pub is derived again from sa.key (never a new key pair)', async () => {
  const pub = readFileSync(join(dir, 'sa.pub'), 'utf8');
  rmSync(join(dir, 'sa.pub'));
  const r = await generatePki(cluster(), dir);
  expect(r.files.find((f) => f.path === 'sa.pub')?.action).toBe('created');
  expect(r.files.find((f) => f.path === 'sa.key')?.action).toBe('kept');
  expect(readFileSync(join(dir, 'sa.pub'), 'utf8')).toBe(pub);
});

test('a copy of the shared material that drifted on a node is replaced by the shared file', async () => {
  writeFileSync(join(dir, 'nodes/cp3/pki/ca.crt'), readFileSync(join(other, 'ca.crt')));
  const r = await generatePki(cluster(), dir);
  expect(r.files.find((f) => f.path === 'nodes/cp3/pki/ca.crt')).toEqual({ path: 'nodes/cp3/pki/ca.crt', action: 'updated', reason: 'differed from ca.crt' });
  expect(readFileSync(join(dir, 'nodes/cp3/pki/ca.crt'), 'utf8')).toBe(readFileSync(join(dir, 'ca.crt'), 'utf8'));
});

describe('refusals: a CA is never replaced', () => {
  test('a CA certificate without its key', async () => {
    rmSync(join(dir, 'etcd/ca.key'));
    const before = snapshot(dir);
    await expect(generatePki(cluster(), dir)).rejects.toThrow(PkiError);
    await expect(generatePki(cluster(), dir)).rejects.toThrow(/etcd\/ca.crt exists without etcd\/ca.key: refusing to replace the CA/);
    expect(changedFiles(before, snapshot(dir))).toEqual([]);
  });

  test('a CA key that does not match the certificate', async () => {
    copyFileSync(join(other, 'ca.key'), join(dir, 'ca.key'));
    const before = snapshot(dir);
    await expect(generatePki(cluster(), dir)).rejects.toThrow(/the CA private key does not match the CA certificate/);
    expect(changedFiles(before, snapshot(dir))).toEqual([]);
  });

  test('sa.pub without sa.key', async () => {
    rmSync(join(dir, 'sa.key'));
    await expect(generatePki(cluster(), dir)).rejects.toThrow(/sa.pub exists without sa.key/);
  });

  test('error messages never contain key material', async () => {
    writeFileSync(join(dir, 'ca.key'), readFileSync(join(dir, 'sa.key')));
    const err = await generatePki(cluster(), dir).catch((e: Error) => e);
    expect(err instanceof Error ? `${err.name}: ${err.message}` : 'resolved').not.toMatch(/PRIVATE KEY|MII/);
  });
});

test('a control plane that left the cluster is reported, not deleted', async () => {
  const hosts = [
    { name: 'cp1', address: '192.168.56.11' },
    { name: 'cp2', address: '192.168.56.12' },
  ];
  const r = await generatePki(cluster({ hosts }), dir);
  expect(r.notes).toEqual(['nodes/cp3: not a control plane of this cluster any more; left as it is']);
  expect(statSync(join(dir, 'nodes/cp3/pki/apiserver.crt')).isFile()).toBe(true);
});

test('a CA that expires before new leaves would is reported (CAs are never replaced automatically)', async () => {
  const short = join(tmp.path, 'shortca');
  const c = cluster({ caValidity: '24h', certValidity: '48h', hosts: [{ name: 'solo', address: '10.1.0.1' }] });
  await generatePki(c, short);
  const r = await generatePki(c, short);
  expect(r.notes).toEqual([
    expect.stringMatching(/^ca\.crt expires on \d{4}-.*, before certificates issued now \(48h\) would$/),
    expect.stringMatching(/^front-proxy-ca\.crt expires on /),
    expect.stringMatching(/^etcd\/ca\.crt expires on /),
  ]);
  const expired = await generatePki(c, short, { now: new Date(Date.now() + 25 * 3_600_000) });
  expect(expired.notes[0]).toMatch(/^ca\.crt expired on .*: every certificate it signs is invalid/);
  rmSync(short, { recursive: true });
});
