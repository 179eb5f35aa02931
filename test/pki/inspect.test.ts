/**
 * `inspectPki` / `inspectNode` (what `certs check` prints): expiry, residual time, CA per
 * certificate, and the problems issue 4 lists: not signed by its CA, mismatched key,
 * missing file, SANs that no longer match the cluster (changed endpoint). Works the same
 * from a directory and from a map of path -> contents (the remote check's input).
 */
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generatePki } from '../../src/pki/generate.js';
import { expiringWithin, inspectNode, inspectPki, problemLines } from '../../src/pki/inspect.js';
import { formatExpires, renderInspection, shortDuration } from '../../src/output/pki-report.js';
import { textsOf } from '../../src/pki/host-files.js';
import { testCluster, tempDir } from './fixture.js';
import { hostFilesFrom } from './remote-fixture.js';
import { snapshot } from './tools.js';

let tmp: ReturnType<typeof tempDir>;
let base = '';
let other = '';
let dir = '';
let n = 0;
/** When the PKI was generated: inspections that pass it judge it at that moment, not by the wall clock. */
let generatedAt = new Date(0);
const cluster = (o: Parameters<typeof testCluster>[0] = {}) => testCluster({ name: 'insp', certValidity: '720h', ...o });

beforeAll(async () => {
  tmp = tempDir('k8sprep-inspect-');
  base = join(tmp.path, 'base');
  other = join(tmp.path, 'other');
  generatedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  await generatePki(cluster(), base, { now: generatedAt });
  await generatePki(testCluster({ name: 'other' }), other);
});
afterAll(() => tmp?.remove());
beforeEach(() => {
  dir = join(tmp.path, `run${n++}`);
  cpSync(base, dir, { recursive: true });
});

test('a fresh PKI: every certificate listed with its CA and expiry, no problems', async () => {
  const insp = await inspectPki(dir, cluster(), { now: generatedAt });
  expect(problemLines(insp)).toEqual([]);
  expect(insp.source).toBe(dir);
  expect(insp.shared?.authorities.map((a) => a.name)).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
  expect(insp.nodes.map((x) => x.host)).toEqual(['cp1', 'cp2', 'cp3']);
  const cp1 = insp.nodes[0];
  expect(cp1?.certificates.map((c) => [c.name, c.authority])).toEqual([
    ['admin.conf', 'ca'],
    ['apiserver', 'ca'],
    ['apiserver-etcd-client', 'etcd-ca'],
    ['apiserver-kubelet-client', 'ca'],
    ['controller-manager.conf', 'ca'],
    ['etcd-healthcheck-client', 'etcd-ca'],
    ['etcd-peer', 'etcd-ca'],
    ['etcd-server', 'etcd-ca'],
    ['front-proxy-client', 'front-proxy-ca'],
    ['scheduler.conf', 'ca'],
    ['super-admin.conf', 'ca'],
  ]);
  expect(insp.nodes[1]?.certificates.map((c) => c.name)).not.toContain('super-admin.conf');
  const apiserver = cp1?.certificates.find((c) => c.name === 'apiserver');
  expect(apiserver).toMatchObject({ kind: 'leaf', path: 'nodes/cp1/pki/apiserver.crt', subject: 'CN=kube-apiserver', problems: [] });
  // Issued for 720 h at generatedAt (NotAfter has whole seconds).
  expect(apiserver?.residualSeconds).toBe(720 * 3600);
  expect(new Date(apiserver?.notAfter ?? 0).getTime()).toBe(generatedAt.getTime() + 720 * 3_600_000);
});

test('expiringWithin: 30 days catches the 720h leaves, not the CAs; 29 days catches nothing', async () => {
  const insp = await inspectPki(dir, cluster());
  const within30 = expiringWithin(insp, 30 * 86400);
  expect(within30).toHaveLength(3 * 10 + 1);
  expect(within30.every((e) => e.status.kind !== 'ca')).toBe(true);
  expect(expiringWithin(insp, 29 * 86400)).toEqual([]);
});

test('flags a certificate not signed by its CA, a mismatched key, a missing file', async () => {
  copyFileSync(join(other, 'nodes/cp1/pki/etcd/server.crt'), join(dir, 'nodes/cp1/pki/etcd/server.crt'));
  copyFileSync(join(other, 'nodes/cp1/pki/etcd/server.key'), join(dir, 'nodes/cp1/pki/etcd/server.key'));
  copyFileSync(join(dir, 'nodes/cp2/pki/front-proxy-client.key'), join(dir, 'nodes/cp2/pki/apiserver.key'));
  rmSync(join(dir, 'nodes/cp3/pki/etcd/peer.key'));
  rmSync(join(dir, 'nodes/cp3/scheduler.conf'));
  rmSync(join(dir, 'sa.pub'));
  const lines = problemLines(await inspectPki(dir, cluster()));
  expect(lines.sort()).toEqual(
    [
      'cp1: etcd-server: not signed by its CA (etcd-ca)',
      'cp2: apiserver: private key does not match the certificate',
      'cp3: etcd-peer: missing nodes/cp3/pki/etcd/peer.key',
      'cp3: scheduler.conf: missing nodes/cp3/scheduler.conf',
      'shared: missing sa.pub',
    ].sort(),
  );
});

test('a node whose CA copy differs from the shared CA is flagged, and its leaves against its own CA', async () => {
  copyFileSync(join(other, 'ca.crt'), join(dir, 'nodes/cp2/pki/ca.crt'));
  const lines = problemLines(await inspectPki(dir, cluster()));
  expect(lines).toContain('cp2: ca: differs from the shared ca.crt');
  expect(lines).toContain('cp2: ca: nodes/cp2/pki/ca.key: private key does not match the certificate');
  expect(lines).toContain('cp2: apiserver: not signed by its CA (ca)');
  expect(lines.filter((l) => l.startsWith('cp1:') || l.startsWith('cp3:'))).toEqual([]);
});

test('a changed endpoint: the apiserver SANs and the endpoint kubeconfigs no longer match', async () => {
  const lines = problemLines(await inspectPki(dir, cluster({ endpoint: '192.168.56.200' })));
  const want: string[] = [];
  for (const h of ['cp1', 'cp2', 'cp3']) {
    want.push(`${h}: apiserver: SANs no longer match the cluster: missing IP:192.168.56.200; unexpected IP:192.168.56.100`);
    for (const conf of ['admin.conf', ...(h === 'cp1' ? ['super-admin.conf'] : [])]) {
      want.push(`${h}: ${conf}: server is https://192.168.56.100:6443, the cluster wants https://192.168.56.200:6443`);
    }
  }
  expect(lines.sort()).toEqual(want.sort());
});

test('the same answers from a map of path -> contents', async () => {
  copyFileSync(join(dir, 'nodes/cp2/pki/front-proxy-client.key'), join(dir, 'nodes/cp2/pki/apiserver.key'));
  const files = snapshot(dir);
  const now = new Date();
  const fromDir = await inspectPki(dir, cluster(), { now });
  const fromMap = await inspectPki(files, cluster(), { now });
  expect({ ...fromMap, source: dir }).toEqual(fromDir);
});

test('inspectNode reads a bare /etc/kubernetes tree (as read over SSH): no shared section needed', async () => {
  const c = cluster();
  const host = c.controlPlanes[1];
  if (!host) throw new Error('no cp2');
  // As on the host: the tree k8sprep placed, plus the kubelet.conf kubeadm wrote.
  const tree = new Map<string, string>([...textsOf(await hostFilesFrom(dir, c, 'cp2'))]);
  const node = await inspectNode(tree, c, host);
  expect(node.root).toBe('');
  expect(node.problems).toEqual([]);
  expect(node.certificates.flatMap((s) => s.problems)).toEqual([]);
  expect(node.certificates.find((s) => s.name === 'etcd-peer')?.path).toBe('pki/etcd/peer.crt');
  // A map with only node trees (several hosts' files) has no shared section.
  const nodesOnly = new Map([...snapshot(dir)].filter(([p]) => p.startsWith('nodes/')));
  const insp = await inspectPki(nodesOnly, c);
  expect(insp.shared).toBeUndefined();
  expect(problemLines(insp)).toEqual([]);
});

test('a kubelet.conf pointing at the rotated client certificate is noted, not a problem', async () => {
  const c = cluster();
  const host = c.controlPlanes[0];
  if (!host) throw new Error('no cp1');
  const tree = textsOf(await hostFilesFrom(dir, c, 'cp1', 'rotated'));
  const node = await inspectNode(tree, c, host);
  const kubelet = node.certificates.find((s) => s.name === 'kubelet.conf');
  expect(kubelet?.problems).toEqual([]);
  expect(kubelet?.note).toContain('/var/lib/kubelet/pki/kubelet-client-current.pem');
});

test('expired certificates are problems', async () => {
  const insp = await inspectPki(dir, cluster(), { now: new Date(generatedAt.getTime() + 800 * 3_600_000) });
  const lines = problemLines(insp);
  expect(lines).toHaveLength(3 * 10 + 1);
  expect(lines.every((l) => / expired on \d{4}-/.test(l))).toBe(true);
});

test('the table looks like kubeadm certs check-expiration', async () => {
  const insp = await inspectPki(dir, cluster());
  const text = renderInspection(insp, 30 * 86400);
  expect(text).toMatch(/^CERTIFICATE {16}EXPIRES {18}RESIDUAL TIME {3}CERTIFICATE AUTHORITY {3}STATUS$/m);
  expect(text).toMatch(/^apiserver-kubelet-client {3}\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}29d {13}ca {22}expires soon$/m);
  expect(text).toMatch(/^ca {22}\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}9y {14}ok$/m);
  expect(text).not.toMatch(/PRIVATE KEY/);
  expect(shortDuration(59)).toBe('59s');
  expect(shortDuration(3599)).toBe('59m');
  expect(shortDuration(86399)).toBe('23h');
  expect(shortDuration(364 * 86400 + 5)).toBe('364d');
  expect(shortDuration(0)).toBe('expired');
  expect(formatExpires('2027-01-02T03:04:59Z')).toBe('Jan 02, 2027 03:04 UTC');
});
