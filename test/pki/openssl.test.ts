/**
 * Every certificate and kubeconfig `generatePki` writes for examples/ha-centos7.yaml,
 * checked with the real openssl CLI against DESIGN §4's table, written out here by hand
 * (not derived from src/pki/spec.ts, so a wrong spec cannot agree with itself): subject,
 * issuer, SANs, key usage, EKU, basic constraints, key ids, validity, chain, key match,
 * PEM encodings, file modes. A second, unusual cluster (1.28, IPv6 node, DNS endpoint,
 * custom validity, RSA 3072) checks the variants.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadClusterFile } from '../../src/cluster/load.js';
import type { Cluster, Host } from '../../src/cluster/types.js';
import { generatePki } from '../../src/pki/generate.js';
import { EXAMPLES } from '../helpers/cli.js';
import { testCluster, tempDir } from './fixture.js';
import { certPublicKey, describeCert, keyPublicKey, modes, openssl, type OpensslCert, requireTool, run, verifyChain } from './tools.js';

/**
 * The cluster with other host addresses. The loader refuses IPv6 until dual-stack is
 * supported; the PKI library already handles it, and this keeps it so.
 */
function withAddresses(cluster: Cluster, addresses: Record<string, string>): Cluster {
  const hosts = cluster.hosts.map((h) => ({ ...h, address: addresses[h.name] ?? h.address }));
  const same = (h: Host) => hosts[h.index]!;
  return {
    ...cluster,
    hosts,
    controlPlanes: cluster.controlPlanes.map(same),
    workers: cluster.workers.map(same),
    firstControlPlane: same(cluster.firstControlPlane),
  };
}

const HOUR = 3_600_000;
const SERVER_CLIENT = 'TLS Web Server Authentication, TLS Web Client Authentication';
const CLIENT = 'TLS Web Client Authentication';
const LEAF_KU = 'Digital Signature, Key Encipherment';
const CA_KU = 'Digital Signature, Key Encipherment, Certificate Sign';

interface Expected {
  file: string;
  ca: 'ca' | 'front-proxy-ca' | 'etcd/ca';
  subject: string;
  eku: string;
  sans?: string;
  purpose: 'sslserver' | 'sslclient';
}

/** DESIGN §4's leaf table for one node of examples/ha-centos7.yaml (endpoint 192.168.56.100). */
function leavesOf(node: string, ip: string, admins: string, endpointSans = 'IP Address:192.168.56.100', apiDns = ''): Expected[] {
  const apiserverSans =
    `DNS:${node}, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local${apiDns}, ` +
    `IP Address:10.96.0.1, IP Address:${ip}${endpointSans ? `, ${endpointSans}` : ''}`;
  const etcdSans = `DNS:${node}, DNS:localhost, IP Address:${ip}, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1`;
  return [
    { file: 'apiserver', ca: 'ca', subject: '/CN=kube-apiserver', eku: 'TLS Web Server Authentication', sans: apiserverSans, purpose: 'sslserver' },
    { file: 'apiserver-kubelet-client', ca: 'ca', subject: `/O=${admins}/CN=kube-apiserver-kubelet-client`, eku: CLIENT, purpose: 'sslclient' },
    { file: 'front-proxy-client', ca: 'front-proxy-ca', subject: '/CN=front-proxy-client', eku: CLIENT, purpose: 'sslclient' },
    { file: 'etcd/server', ca: 'etcd/ca', subject: `/CN=${node}`, eku: SERVER_CLIENT, sans: etcdSans, purpose: 'sslserver' },
    { file: 'etcd/peer', ca: 'etcd/ca', subject: `/CN=${node}`, eku: SERVER_CLIENT, sans: etcdSans, purpose: 'sslserver' },
    { file: 'etcd/healthcheck-client', ca: 'etcd/ca', subject: '/CN=kube-etcd-healthcheck-client', eku: CLIENT, purpose: 'sslclient' },
    { file: 'apiserver-etcd-client', ca: 'etcd/ca', subject: '/CN=kube-apiserver-etcd-client', eku: CLIENT, purpose: 'sslclient' },
  ];
}

const CAS = [
  { file: 'ca', cn: 'kubernetes' },
  { file: 'front-proxy-ca', cn: 'front-proxy-ca' },
  { file: 'etcd/ca', cn: 'etcd-ca' },
];

function expectValidity(c: OpensslCert, t0: number, t1: number, hours: number): void {
  // Second granularity in the certificate: allow a second either side.
  expect(c.notBefore.getTime()).toBeGreaterThanOrEqual(t0 - 5 * 60_000 - 1000);
  expect(c.notBefore.getTime()).toBeLessThanOrEqual(t1 - 5 * 60_000 + 1000);
  expect(c.notAfter.getTime()).toBeGreaterThanOrEqual(t0 + hours * HOUR - 1000);
  expect(c.notAfter.getTime()).toBeLessThanOrEqual(t1 + hours * HOUR + 1000);
}

async function expectLeaf(dir: string, nodePki: string, e: Expected, validityHours: number, t0: number, t1: number, bits: number, serials: Set<string>) {
  const crt = join(nodePki, `${e.file}.crt`);
  const key = join(nodePki, `${e.file}.key`);
  const c = await describeCert(crt);
  const caCn = CAS.find((x) => x.file === e.ca)?.cn;
  expect({ file: e.file, subject: c.subject, issuer: c.issuer }).toEqual({ file: e.file, subject: e.subject, issuer: `/CN=${caCn}` });
  expect(c.ext['Key Usage']).toEqual({ critical: true, value: LEAF_KU });
  expect(c.ext['Extended Key Usage']).toEqual({ critical: false, value: e.eku });
  expect(c.ext['Basic Constraints']).toEqual({ critical: true, value: 'CA:FALSE' });
  expect(c.ext['Authority Key Identifier']).toBeDefined();
  expect(c.ext['Subject Alternative Name']?.value).toBe(e.sans);
  expect(c.bits).toBe(bits);
  expectValidity(c, t0, t1, validityHours);
  expect(c.serial).toMatch(/^[0-7][0-9A-F]{31}$/); // 16 bytes, positive
  serials.add(c.serial);
  // The AKI is the CA's SKI.
  const ca = await describeCert(join(dir, `${e.ca}.crt`));
  expect(c.ext['Authority Key Identifier']?.value.replace(/^keyid:/, '')).toBe(ca.ext['Subject Key Identifier']?.value);
  const verified = await verifyChain(join(nodePki, `${e.ca}.crt`), crt, e.purpose);
  expect(`${e.file}: ${verified.stdout.trim()}${verified.stderr}`).toBe(`${e.file}: ${crt}: OK`);
  expect(await keyPublicKey(key)).toBe(await certPublicKey(crt));
  expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
  expect(readFileSync(crt, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
  expect((await openssl(['rsa', '-check', '-noout', '-in', key])).trim()).toBe('RSA key ok');
}

interface KubeconfigExpect {
  file: string;
  user: string;
  subject: string;
  server: string;
}

async function expectKubeconfig(work: string, nodeDir: string, e: KubeconfigExpect, validityHours: number, t0: number, t1: number, serials: Set<string>) {
  const text = readFileSync(join(nodeDir, e.file), 'utf8');
  const doc = parse(text) as Record<string, any>;
  expect(doc.apiVersion).toBe('v1');
  expect(doc.kind).toBe('Config');
  expect(doc.clusters).toHaveLength(1);
  expect(doc.clusters[0].name).toBe('kubernetes');
  expect(doc.clusters[0].cluster.server).toBe(e.server);
  expect(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(readFileSync(join(nodeDir, 'pki', 'ca.crt'), 'utf8'));
  expect(doc.contexts).toEqual([{ context: { cluster: 'kubernetes', user: e.user }, name: `${e.user}@kubernetes` }]);
  expect(doc['current-context']).toBe(`${e.user}@kubernetes`);
  expect(doc.users).toHaveLength(1);
  expect(doc.users[0].name).toBe(e.user);
  // The embedded client certificate and key, checked as files with openssl.
  const base = join(work, `${nodeDir.replace(/[/]/g, '_')}-${e.file}`);
  writeFileSync(`${base}.crt`, Buffer.from(doc.users[0].user['client-certificate-data'], 'base64'));
  writeFileSync(`${base}.key`, Buffer.from(doc.users[0].user['client-key-data'], 'base64'), { mode: 0o600 });
  const c = await describeCert(`${base}.crt`);
  expect({ file: e.file, subject: c.subject, issuer: c.issuer }).toEqual({ file: e.file, subject: e.subject, issuer: '/CN=kubernetes' });
  expect(c.ext['Key Usage']).toEqual({ critical: true, value: LEAF_KU });
  expect(c.ext['Extended Key Usage']).toEqual({ critical: false, value: CLIENT });
  expect(c.ext['Basic Constraints']).toEqual({ critical: true, value: 'CA:FALSE' });
  expect(c.ext['Subject Alternative Name']).toBeUndefined();
  expectValidity(c, t0, t1, validityHours);
  serials.add(c.serial);
  const verified = await verifyChain(join(nodeDir, 'pki', 'ca.crt'), `${base}.crt`, 'sslclient');
  expect(verified.stdout.trim()).toBe(`${base}.crt: OK`);
  expect(await keyPublicKey(`${base}.key`)).toBe(await certPublicKey(`${base}.crt`));
  expect(readFileSync(`${base}.key`, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
}

async function expectCa(dir: string, ca: { file: string; cn: string }, validityHours: number, t0: number, t1: number, bits: number) {
  const c = await describeCert(join(dir, `${ca.file}.crt`));
  expect({ subject: c.subject, issuer: c.issuer }).toEqual({ subject: `/CN=${ca.cn}`, issuer: `/CN=${ca.cn}` });
  expect(c.ext['Basic Constraints']).toEqual({ critical: true, value: 'CA:TRUE' });
  expect(c.ext['Key Usage']).toEqual({ critical: true, value: CA_KU });
  expect(c.ext['Subject Alternative Name']?.value).toBe(`DNS:${ca.cn}`);
  expect(c.ext['Subject Key Identifier']?.value).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  expect(c.ext['Extended Key Usage']).toBeUndefined();
  expect(c.bits).toBe(bits);
  expectValidity(c, t0, t1, validityHours);
  const self = await verifyChain(join(dir, `${ca.file}.crt`), join(dir, `${ca.file}.crt`));
  expect(self.stdout.trim()).toBe(`${join(dir, `${ca.file}.crt`)}: OK`);
  expect(await keyPublicKey(join(dir, `${ca.file}.key`))).toBe(await certPublicKey(join(dir, `${ca.file}.crt`)));
  expect(readFileSync(join(dir, `${ca.file}.key`), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
}

async function expectSaKeys(dir: string) {
  expect(readFileSync(join(dir, 'sa.key'), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
  expect(readFileSync(join(dir, 'sa.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  expect(await openssl(['pkey', '-pubin', '-in', join(dir, 'sa.pub')])).toBe(await keyPublicKey(join(dir, 'sa.key')));
}

function expectModes(dir: string) {
  const wrong: string[] = [];
  for (const [rel, m] of modes(dir)) {
    const want = m.isDir ? 0o700 : rel.endsWith('.crt') ? 0o644 : 0o600;
    if (m.mode !== want) wrong.push(`${rel}: ${m.mode.toString(8)} (want ${want.toString(8)})`);
  }
  expect(wrong).toEqual([]);
  expect(modes(join(dir, '..')).get('pki')?.mode).toBe(0o700);
}

function expectFileList(dir: string, nodes: string[], superAdminOn: string[]) {
  const files = [...modes(dir)]
    .filter(([, m]) => !m.isDir)
    .map(([p]) => p)
    .sort();
  const shared = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'];
  const leaves = [
    'apiserver',
    'apiserver-kubelet-client',
    'front-proxy-client',
    'apiserver-etcd-client',
    'etcd/server',
    'etcd/peer',
    'etcd/healthcheck-client',
  ];
  const want = [...shared];
  for (const n of nodes) {
    want.push(...shared.map((f) => `nodes/${n}/pki/${f}`));
    want.push(...leaves.flatMap((l) => [`nodes/${n}/pki/${l}.crt`, `nodes/${n}/pki/${l}.key`]));
    // Never kubelet.conf: kubeadm join refuses a node that has one (the kubelet makes its own).
    want.push(...['admin.conf', 'controller-manager.conf', 'scheduler.conf'].map((f) => `nodes/${n}/${f}`));
    if (superAdminOn.includes(n)) want.push(`nodes/${n}/super-admin.conf`);
  }
  expect(files).toEqual(want.sort());
}

beforeAll(() => {
  requireTool('openssl');
});

describe('examples/ha-centos7.yaml (3 control planes, 1.30, endpoint 192.168.56.100)', () => {
  // Temp dirs are made in beforeAll: a describe filtered out with -t runs no afterAll.
  let tmp: ReturnType<typeof tempDir>;
  let dir = '';
  let work = '';
  let t0 = 0;
  let t1 = 0;
  const serials = new Set<string>();
  const NODES = [
    { name: 'cp1', ip: '192.168.56.11' },
    { name: 'cp2', ip: '192.168.56.12' },
    { name: 'cp3', ip: '192.168.56.13' },
  ];

  beforeAll(async () => {
    tmp = tempDir();
    dir = join(tmp.path, 'state', 'pki');
    work = join(tmp.path, 'work');
    mkdirSync(work, { recursive: true });
    const cluster = await loadClusterFile(join(EXAMPLES, 'ha-centos7.yaml'));
    // Issued at a given moment, so validity is checked against it, not against the wall clock.
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const report = await generatePki(cluster, dir, { now: issuedAt });
    t0 = t1 = issuedAt.getTime();
    expect(report.files.length).toBeGreaterThan(0);
    expect(report.files.filter((f) => f.action !== 'created')).toEqual([]);
  });
  afterAll(() => tmp?.remove());

  test('exactly the files of issue 4, with kubeadm modes (keys and kubeconfigs 0600, dirs 0700)', () => {
    expectFileList(dir, ['cp1', 'cp2', 'cp3'], ['cp1']);
    expectModes(dir);
  });

  test('the three CAs: self-signed, CA:TRUE critical, keyCertSign, DNS SAN = CN, SKI, 10 years', async () => {
    for (const ca of CAS) await expectCa(dir, ca, 87600, t0, t1, 2048);
  });

  test('sa.key is PKCS#1 RSA, sa.pub its PKIX public key', async () => {
    await expectSaKeys(dir);
  });

  test.each(NODES)('$name: every leaf matches the DESIGN table, chains to its CA, key matches, 1 year', async ({ name, ip }) => {
    const nodePki = join(dir, 'nodes', name, 'pki');
    for (const e of leavesOf(name, ip, 'kubeadm:cluster-admins')) await expectLeaf(dir, nodePki, e, 8760, t0, t1, 2048, serials);
  });

  test.each(NODES)('$name: shared files are byte-identical copies of DIR/', ({ name }) => {
    for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']) {
      expect(readFileSync(join(dir, 'nodes', name, 'pki', f), 'utf8')).toBe(readFileSync(join(dir, f), 'utf8'));
    }
  });

  test.each(NODES)('$name: kubeconfigs (names, server URLs, embedded CA, client certs)', async ({ name, ip }) => {
    const nodeDir = join(dir, 'nodes', name);
    const endpoint = 'https://192.168.56.100:6443';
    const own = `https://${ip}:6443`;
    const list: KubeconfigExpect[] = [
      { file: 'admin.conf', user: 'kubernetes-admin', subject: '/O=kubeadm:cluster-admins/CN=kubernetes-admin', server: endpoint },
      { file: 'controller-manager.conf', user: 'system:kube-controller-manager', subject: '/CN=system:kube-controller-manager', server: own },
      { file: 'scheduler.conf', user: 'system:kube-scheduler', subject: '/CN=system:kube-scheduler', server: own },
    ];
    if (name === 'cp1')
      list.push({ file: 'super-admin.conf', user: 'kubernetes-super-admin', subject: '/O=system:masters/CN=kubernetes-super-admin', server: endpoint });
    for (const e of list) await expectKubeconfig(work, nodeDir, e, 8760, t0, t1, serials);
  });

  test('serial numbers are all different', () => {
    // 3 nodes x (7 leaves + 3 kubeconfigs) + 1 super-admin
    expect(serials.size).toBe(3 * 10 + 1);
  });

  test('kubeconfigs and keys never leave a temp file behind', async () => {
    const r = await run('find', [dir, '-name', '*.tmp-*']);
    expect(r.stdout).toBe('');
  });
});

describe('variants: 1.28, IPv6 node address, DNS endpoint, custom validity, RSA 3072', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir = '';
  let work = '';
  let t0 = 0;
  let t1 = 0;
  const serials = new Set<string>();

  beforeAll(async () => {
    tmp = tempDir();
    dir = join(tmp.path, 'pki');
    work = join(tmp.path, 'work');
    mkdirSync(work, { recursive: true });
    const cluster = withAddresses(
      testCluster({
        version: '1.28.9',
        endpoint: 'api.k8s.example.test',
        port: 8443,
        hosts: [
          { name: 'solo', address: '10.0.0.11' },
          { name: 'w1', address: '10.0.0.21', roles: ['worker'] },
        ],
        caValidity: '720h',
        certValidity: '48h',
        keyAlgorithm: 'rsa-3072',
      }),
      { solo: 'fd00::11', w1: 'fd00::21' },
    );
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    await generatePki(cluster, dir, { now: issuedAt });
    t0 = t1 = issuedAt.getTime();
  });
  afterAll(() => tmp?.remove());

  test('files: no super-admin.conf before 1.29; modes', () => {
    expectFileList(dir, ['solo'], []);
    expectModes(dir);
  });

  test('CAs honour caValidity and the key size', async () => {
    for (const ca of CAS) await expectCa(dir, ca, 720, t0, t1, 3072);
  });

  test('leaves: system:masters before 1.29, IPv6 SANs, DNS endpoint SAN, certValidity', async () => {
    const v6 = 'FD00:0:0:0:0:0:0:11';
    const leaves = leavesOf('solo', v6, 'system:masters', '', ', DNS:api.k8s.example.test');
    for (const e of leaves) await expectLeaf(dir, join(dir, 'nodes', 'solo', 'pki'), e, 48, t0, t1, 3072, serials);
  });

  test('kubeconfigs: bracketed IPv6 own server, endpoint with its port, O system:masters for admin', async () => {
    const nodeDir = join(dir, 'nodes', 'solo');
    const endpoint = 'https://api.k8s.example.test:8443';
    const list: KubeconfigExpect[] = [
      { file: 'admin.conf', user: 'kubernetes-admin', subject: '/O=system:masters/CN=kubernetes-admin', server: endpoint },
      {
        file: 'controller-manager.conf',
        user: 'system:kube-controller-manager',
        subject: '/CN=system:kube-controller-manager',
        server: 'https://[fd00::11]:6443',
      },
      { file: 'scheduler.conf', user: 'system:kube-scheduler', subject: '/CN=system:kube-scheduler', server: 'https://[fd00::11]:6443' },
    ];
    for (const e of list) await expectKubeconfig(work, nodeDir, e, 48, t0, t1, serials);
  });
});

describe('a single control plane without an endpoint', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp?.remove());

  test('the endpoint is the node itself: no duplicate SAN, kubeconfigs point at it', async () => {
    const cluster = testCluster({ version: '1.31.2', hosts: [{ name: 'lab1', address: '10.0.0.5' }] });
    await generatePki(cluster, tmp.path);
    const c = await describeCert(join(tmp.path, 'nodes/lab1/pki/apiserver.crt'));
    expect(c.ext['Subject Alternative Name']?.value).toBe(
      'DNS:lab1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP Address:10.96.0.1, IP Address:10.0.0.5',
    );
    for (const f of ['admin.conf', 'super-admin.conf', 'scheduler.conf', 'controller-manager.conf']) {
      expect(parse(readFileSync(join(tmp.path, 'nodes/lab1', f), 'utf8')).clusters[0].cluster.server).toBe('https://10.0.0.5:6443');
    }
  });
});
