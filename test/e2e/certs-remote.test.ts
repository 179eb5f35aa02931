/**
 * `certs check --remote` and `certs renew` end to end: the real CLI over SSH to three test
 * control planes (CentOS 7 as root, CentOS 7 as admin with sudo, Arch) seeded in kubeadm's
 * layout from `certs generate`'s node trees, with stand-in static pods (crictl lists a
 * container per manifest while the kubelet runs) and a stand-in apiserver (openssl s_server
 * with the host's current apiserver.crt/key) that the renewal's `curl --cacert ca.crt`
 * must reach. Certificates are checked with the real openssl.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { RenewSummary } from '../../src/actions/certs-renew-report.js';
import { parseClusterText } from '../../src/cluster/load.js';
import { assertBuilt, type CliResult, runCli, startCli, tempDir } from '../helpers/cli.js';
import { startTestHosts, type TestFleet, type TestHost } from '../hosts/index.js';
import { hostPairs, kubeTree, LEAVES, servedAndFileFingerprints, SHARED } from '../pki/remote-assert.js';
import { containers, healthz, hostBashOk, kubeletConf, seedControlPlane, startStaticPods, STATIC_PODS } from '../pki/remote-fixture.js';
import { requireTool } from '../pki/tools.js';

const NAME = 'remote';
const LONG = 900_000;
/** Kubeconfigs with embedded credentials per host (cp2's kubelet.conf points at the kubelet's rotated file). */
const CONFS: Record<string, string[]> = {
  cp1: ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'],
  cp2: ['admin.conf', 'controller-manager.conf', 'scheduler.conf'],
  cp3: ['admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'],
};
/** cp3's apiserver listens where kubeadm was told to bind it (localAPIEndpoint.bindPort), not on 6443. */
const CP3_APISERVER_PORT = 6444;
const apiserverPortOf = (host: string) => (host === 'cp3' ? CP3_APISERVER_PORT : 6443);
const targetsOf = (host: string) => [...LEAVES.flatMap((l) => [`pki/${l.base}.crt`, `pki/${l.base}.key`]), ...CONFS[host]!].map((p) => `/etc/kubernetes/${p}`);

let fleet: TestFleet;
let tmp: ReturnType<typeof tempDir>;
let cwd = '';
let pki = '';

const cli = (...args: string[]) => runCli(args, { cwd, home: fleet.home });
const h = (name: string) => fleet.host(name);

function clusterFile(spec: Record<string, unknown> = {}): string {
  const hosts = fleet.hosts.map((t) => ({
    name: t.name,
    address: t.address,
    roles: ['control-plane'],
    os: t.os,
    ...(t.name === 'cp2' ? { ssh: { user: 'admin' } } : {}),
  }));
  const endpoint = fleet.subnet.replace(/\.0\/24$/, '.100'); // never contacted
  return stringify({
    apiVersion: 'k8sprep.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: NAME },
    spec: {
      kubernetes: { version: '1.30.6' },
      controlPlaneEndpoint: { host: endpoint, port: 6443, loadBalancer: 'kube-vip' },
      certificates: { certValidity: '720h' },
      hosts,
      ...spec,
    },
  });
}

function noSecrets(...outputs: string[]): void {
  for (const o of outputs) expect(o).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|LS0tLS1CRUdJTi|client-key-data: [A-Za-z0-9]/);
}

function summaryOf(r: CliResult): RenewSummary {
  try {
    return JSON.parse(r.stdout) as RenewSummary;
  } catch {
    throw new Error(`no JSON summary (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Every file of the local PKI: relative path -> contents. */
function localTree(): Map<string, string> {
  return new Map(
    (readdirSync(pki, { recursive: true }) as string[])
      .sort()
      .filter((p) => statSync(join(pki, p)).isFile())
      .map((p) => [p, readFileSync(join(pki, p), 'utf8')]),
  );
}

const report = (s: RenewSummary, host: string) => s.hosts.find((x) => x.host === host)!;

const sh = (host: TestHost, script: string) => hostBashOk(host, script);

/** cp2's kubelet.conf as kubeadm leaves it after the kubelet's bootstrap: the client certificate is the rotated file. */
async function rotateKubeletConf(host: TestHost): Promise<void> {
  const doc = parse(await host.readFile('/etc/kubernetes/kubelet.conf')) as { users: { user: Record<string, string> }[] };
  const user = doc.users[0]!.user;
  const pem = Buffer.from(user['client-certificate-data']!, 'base64').toString() + Buffer.from(user['client-key-data']!, 'base64').toString();
  await hostBashOk(host, 'mkdir -p /var/lib/kubelet/pki && cat >/var/lib/kubelet/pki/kubelet-client-current.pem', { input: pem });
  const current = '/var/lib/kubelet/pki/kubelet-client-current.pem';
  doc.users[0]!.user = { 'client-certificate': current, 'client-key': current };
  await hostBashOk(host, 'cat >/etc/kubernetes/kubelet.conf', { input: stringify(doc) });
}

async function journal(host: TestHost, runId: string, file: string): Promise<string> {
  return (await host.readFile(`/var/lib/k8sprep/renew/${runId}/${file}`)).trim();
}

/** The kubelet.conf kubeadm would have written on the host (embedded client certificate). */
async function kubeletConfOf(name: string): Promise<string> {
  const cluster = parseClusterText(clusterFile(), 'cluster.yaml');
  return kubeletConf(
    pki,
    cluster,
    cluster.hosts.find((x) => x.name === name)!,
    'embedded',
  );
}

beforeAll(async () => {
  requireTool('openssl');
  assertBuilt();
  fleet = await startTestHosts([
    { name: 'cp1', os: 'centos7' },
    { name: 'cp2', os: 'centos7' },
    { name: 'cp3', os: 'arch' },
  ]);
  tmp = tempDir('k8sprep-certs-remote-');
  cwd = tmp.path;
  writeFileSync(join(cwd, 'cluster.yaml'), clusterFile());
  const gen = await cli('certs', 'generate', '--quiet');
  expect([gen.code, gen.stderr]).toEqual([0, '']);
  pki = join(cwd, '.k8sprep', NAME, 'pki');
  await Promise.all(
    fleet.hosts.map(async (host) => seedControlPlane(host, join(pki, 'nodes', host.name), await kubeletConfOf(host.name), apiserverPortOf(host.name))),
  );
  await rotateKubeletConf(h('cp2'));
  // Owners and modes a renewal must keep, even unusual ones.
  await sh(
    h('cp1'),
    'chown 0:1000 /etc/kubernetes/controller-manager.conf && chmod 640 /etc/kubernetes/controller-manager.conf && chmod 644 /etc/kubernetes/pki/front-proxy-client.key',
  );
  // A fetched admin.conf beside the cluster file, as `node init` leaves it.
  copyFileSync(join(pki, 'nodes/cp1/admin.conf'), join(cwd, '.k8sprep', NAME, 'admin.conf'));
}, LONG);
afterAll(async () => {
  await fleet?.stop();
  tmp?.remove();
});

describe('certs check --remote', () => {
  test('a table per control plane read over SSH, nothing flagged; --warn-within exit codes; nothing written on the hosts', async () => {
    const before = await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])));
    const r = await cli('certs', 'check', '--remote');
    // stderr: only the line that says what it is doing (within a second, before any host answers).
    expect([r.code, r.stderr]).toEqual([0, 'reading /etc/kubernetes on 3 control plane(s) over SSH\n']);
    for (const host of fleet.hosts) expect(r.stdout).toContain(`[${host.name}] ${host.address}:/etc/kubernetes`);
    expect(r.stdout).toMatch(/^apiserver {18}\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}29d +ca +ok$/m);
    expect(r.stdout).not.toContain('PROBLEMS');
    expect(r.stdout).not.toMatch(/PRIVATE KEY|LS0tLS1CRUdJTiBSU0Eg/);
    const soon = await cli('certs', 'check', '--remote', '--warn-within', '30d');
    expect(soon.code).toBe(1);
    expect(soon.stdout).toContain('33 certificate(s) expire within 30d'); // 12 + 10 (kubelet.conf: the rotated file) + 11
    expect((await cli('certs', 'check', '--remote', '--warn-within', '1h')).code).toBe(0);
    const after = await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])));
    expect(after).toEqual(before);
  });
});

describe('certs check --remote flags what is wrong', () => {
  test(
    'SAN drift, key mismatch, missing file, not signed by its CA, a CA that differs between hosts; --json; an unreachable host',
    async () => {
      const cp3 = h('cp3');
      const other = join(tmp.path, 'other-pki');
      expect((await cli('certs', 'generate', '--dir', other)).code).toBe(0);
      const put = (local: string, remote: string) =>
        hostBashOk(cp3, 'cat >"$1"', { args: [`/etc/kubernetes/pki/${remote}`], input: readFileSync(local, 'utf8') });
      await put(join(pki, 'nodes/cp1/pki/front-proxy-client.key'), 'front-proxy-client.key');
      await sh(cp3, 'rm /etc/kubernetes/pki/etcd/healthcheck-client.key');
      await put(join(other, 'nodes/cp3/pki/apiserver-etcd-client.crt'), 'apiserver-etcd-client.crt');
      await put(join(other, 'nodes/cp3/pki/apiserver-etcd-client.key'), 'apiserver-etcd-client.key');
      await put(join(other, 'sa.pub'), 'sa.pub');
      await put(join(other, 'ca.crt'), 'ca.crt');
      // The same cluster with a new endpoint, from another directory (no local PKI there).
      mkdirSync(join(cwd, 'moved'));
      const endpoint = fleet.subnet.replace(/\.0\/24$/, '.101');
      writeFileSync(join(cwd, 'moved/cluster.yaml'), clusterFile({ controlPlaneEndpoint: { host: endpoint, port: 6443, loadBalancer: 'kube-vip' } }));
      try {
        const r = await cli('certs', 'check', '--remote', '--hosts', 'cp1,cp3', '-c', 'moved/cluster.yaml');
        expect(r.code).toBe(1);
        noSecrets(r.stdout, r.stderr);
        const problems = r.stdout.slice(r.stdout.indexOf('PROBLEMS'));
        const old = endpoint.replace(/101$/, '100');
        expect(problems).toContain(`cp1: apiserver: SANs no longer match the cluster: missing IP:${endpoint}; unexpected IP:${old}`);
        expect(problems).toContain(`cp1: admin.conf: server is https://${old}:6443, the cluster wants https://${endpoint}:6443`);
        expect(problems).toContain('cp3: front-proxy-client: private key does not match the certificate');
        expect(problems).toContain('cp3: etcd-healthcheck-client: missing pki/etcd/healthcheck-client.key');
        expect(problems).toContain('cp3: apiserver-etcd-client: not signed by its CA (etcd-ca)');
        expect(problems).toContain('cp3: pki/sa.pub is not the public half of pki/sa.key');
        expect(problems).toContain("cp3: pki/ca.crt differs from cp1's");
        expect(r.stdout).not.toContain('[cp2]');

        // In its own directory, the local PKI is compared too; --json for machines.
        const j = await cli('certs', 'check', '--remote', '--json', '--hosts', 'cp3');
        expect(j.code).toBe(1);
        const out = JSON.parse(j.stdout) as {
          source: string;
          nodes: { host: string; root: string; certificates: unknown[] }[];
          problems: string[];
          errors: unknown[];
          ok: boolean;
        };
        expect({ source: out.source, hosts: out.nodes.map((n) => [n.host, n.root]), errors: out.errors, ok: out.ok }).toEqual({
          source: 'remote',
          hosts: [['cp3', `${cp3.address}:/etc/kubernetes`]],
          errors: [],
          ok: false,
        });
        expect(out.nodes[0]!.certificates).toHaveLength(11);
        expect(out.problems).toContain(`cp3: pki/ca.crt differs from the local ${join(pki, 'ca.crt')}`);

        await cp3.dropSshd();
        const down = await cli('certs', 'check', '--remote');
        expect(down.code).toBe(1);
        expect(down.stdout).toMatch(/NOT CHECKED\n {2}cp3: cannot connect to cp3 \(127\.[\d.]+:22\): connection refused/);
        expect(down.stdout).toContain('[cp1]');
      } finally {
        await cp3.startSshd();
        await seedControlPlane(cp3, join(pki, 'nodes/cp3'), await kubeletConfOf('cp3'), CP3_APISERVER_PORT);
      }
      expect((await cli('certs', 'check', '--remote')).code).toBe(0);
    },
    LONG,
  );
});

describe('certs renew', () => {
  test('bad input: exit 2, nothing contacted', async () => {
    const cases: [string[], string][] = [
      [['--hosts', 'nope'], '--hosts: no host named "nope"'],
      [['--validity', 'soon'], '--validity: "soon" is not a duration'],
      [['--validity', '0h'], '--validity: must be at least 1h'],
      [['--show-secrets'], '--show-secrets: needs --dry-run'],
      [['--dry-run', '--json'], '--json: cannot be combined with --dry-run'],
    ];
    const calls = await Promise.all(fleet.hosts.map((x) => x.calls()));
    for (const [args, message] of cases) {
      const r = await cli('certs', 'renew', ...args);
      expect([args, r.code, r.stderr]).toEqual([args, 2, expect.stringContaining(message)]);
    }
    expect(await Promise.all(fleet.hosts.map((x) => x.calls()))).toEqual(calls);
  });

  test(
    '--dry-run reads the hosts only and prints each script with keys and certificates redacted; --show-secrets shows them; --out writes files; the local PKI untouched',
    async () => {
      const before = await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])));
      const localBefore = localTree();
      const r = await cli('certs', 'renew', '--dry-run');
      expect([r.code, r.stderr]).toEqual([0, expect.stringContaining('3 of 3 control plane(s) planned')]);
      for (const host of fleet.hosts) {
        expect(r.stdout).toContain(`# k8sprep host=${host.name} address=${host.address} phase=certs-read\n#!/bin/bash\n`);
        expect(r.stdout).toContain(`# k8sprep host=${host.name} address=${host.address} phase=certs-renew\n#!/bin/bash\n`);
      }
      expect(r.stdout).toContain("k8sprep_renew_stage /etc/kubernetes/pki/etcd/peer.key <<'K8SPREP_EOF' || return 1\n<redacted:etcd-peer.key>\nK8SPREP_EOF");
      expect(r.stdout).toContain('<redacted:admin.conf>');
      expect(r.stderr).toContain(
        'left: /etc/kubernetes/kubelet.conf: its client certificate is /var/lib/kubelet/pki/kubelet-client-current.pem, which the kubelet rotates itself; left as it is',
      );
      for (const host of fleet.hosts)
        expect(r.stderr).toContain(
          `${join(pki, 'nodes', host.name)}: would get the ${targetsOf(host.name).filter((t) => !t.endsWith('/kubelet.conf')).length} files put on ${host.name} (dry run)`,
        );
      noSecrets(r.stdout, r.stderr);
      expect(await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])))).toEqual(before);
      expect(localTree()).toEqual(localBefore);

      const shown = await cli('certs', 'renew', '--dry-run', '--show-secrets', '--hosts', 'cp2');
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(
        /k8sprep_renew_stage \/etc\/kubernetes\/pki\/apiserver\.key <<'K8SPREP_EOF' \|\| return 1\n-----BEGIN RSA PRIVATE KEY-----\n/,
      );
      expect(shown.stdout).not.toContain('<redacted:');
      expect(shown.stdout).not.toContain('host=cp1');

      const out = join(tmp.path, 'dry');
      const files = await cli('certs', 'renew', '--dry-run', '--out', out, '--hosts', 'cp3');
      expect(files.code).toBe(0);
      expect(readdirSync(join(out, 'cp3')).sort()).toEqual(['01-certs-read.sh', '02-certs-renew.sh']);
      expect(readFileSync(join(out, 'cp3', '02-certs-renew.sh'), 'utf8')).toContain('<redacted:apiserver.key>');
      expect(await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])))).toEqual(before);
    },
    LONG,
  );

  test(
    'a CA key that does not match its certificate is refused: the roll-out stops before anything is written',
    async () => {
      const key = join(pki, 'etcd', 'ca.key');
      const saved = readFileSync(key);
      const before = await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])));
      writeFileSync(join(pki, 'etcd', 'ca.key'), readFileSync(join(tmp.path, 'other-pki', 'etcd', 'ca.key')));
      try {
        const r = await cli('certs', 'renew', '--json');
        expect(r.code).toBe(1);
        const s = summaryOf(r);
        expect(report(s, 'cp1')).toMatchObject({
          status: 'failed',
          failedStep: 'plan',
          error: `${key.replace(/key$/, 'crt')}: the CA private key does not match the CA certificate`,
        });
        expect([report(s, 'cp2').status, report(s, 'cp3').status]).toEqual(['not-run', 'not-run']);
      } finally {
        writeFileSync(key, saved);
      }
      expect(await Promise.all(fleet.hosts.map((x) => x.fileSnapshot(['/etc', '/var'])))).toEqual(before);
    },
    LONG,
  );
});

describe('certs renew on three control planes', () => {
  let before: Map<string, Map<string, string>>;
  let ids: Map<string, Map<string, string>>;
  let summary: RenewSummary;
  let result: CliResult;
  let t0 = 0;
  let t1 = 0;

  beforeAll(async () => {
    before = new Map(await Promise.all(fleet.hosts.map(async (x) => [x.name, await kubeTree(x)] as const)));
    ids = new Map(await Promise.all(fleet.hosts.map(async (x) => [x.name, await containers(x)] as const)));
    t0 = Date.now();
    result = await cli('certs', 'renew', '--validity', '48h', '--json');
    t1 = Date.now();
    summary = summaryOf(result);
  }, LONG);

  test('every host renewed, exit 0, nothing secret printed or logged', async () => {
    expect([result.code, summary.ok, summary.hosts.map((x) => [x.host, x.status])]).toEqual([
      0,
      true,
      [
        ['cp1', 'renewed'],
        ['cp2', 'renewed'],
        ['cp3', 'renewed'],
      ],
    ]);
    noSecrets(result.stdout, result.stderr);
    for (const r of summary.hosts) {
      expect([r.host, [...r.replaced].sort()]).toEqual([r.host, targetsOf(r.host).sort()]);
      expect(r.notReplaced).toEqual([]);
      expect(r.caSources).toEqual({ ca: 'local', 'front-proxy-ca': 'local', 'etcd-ca': 'local' });
      const log = readFileSync(r.logPath!, 'utf8');
      noSecrets(log);
      expect(log).toContain('<redacted:apiserver.key>');
    }
    expect(report(summary, 'cp2').left).toContainEqual({
      path: '/etc/kubernetes/kubelet.conf',
      reason: 'its client certificate is /var/lib/kubelet/pki/kubelet-client-current.pem, which the kubelet rotates itself; left as it is',
    });
  });

  test('leaves and kubeconfig client certificates replaced: new keys, the requested validity, signed by their CA (openssl)', async () => {
    for (const host of fleet.hosts) {
      const after = await kubeTree(host);
      const pairs = await hostPairs(host, CONFS[host.name]!);
      for (const [path, facts] of pairs) {
        expect([host.name, path, facts.verified, facts.keyMatches]).toEqual([host.name, path, true, true]);
        // NotAfter = issue time + 48h (X.509 keeps whole seconds).
        expect(facts.notAfter.getTime()).toBeGreaterThanOrEqual(t0 - 1000 + 48 * 3_600_000);
        expect(facts.notAfter.getTime()).toBeLessThanOrEqual(t1 + 48 * 3_600_000);
      }
      for (const t of targetsOf(host.name)) {
        const rel = t.replace('/etc/kubernetes/', '');
        expect([host.name, rel, after.get(rel) === before.get(host.name)!.get(rel)]).toEqual([host.name, rel, false]);
      }
    }
  });

  test('CAs, sa keys, manifests and the rotated kubelet.conf byte-identical; owners and modes kept; no staged copies left', async () => {
    for (const host of fleet.hosts) {
      const after = await kubeTree(host);
      const old = before.get(host.name)!;
      const kept = [...SHARED.map((p) => `pki/${p}`), ...STATIC_PODS.map((p) => `manifests/${p}.yaml`), ...(host.name === 'cp2' ? ['kubelet.conf'] : [])];
      for (const p of kept) expect([host.name, p, after.get(p)]).toEqual([host.name, p, old.get(p)]);
      expect([host.name, [...after.keys()].sort()]).toEqual([host.name, [...old.keys()].sort()]);
    }
    const cp1 = h('cp1');
    expect(await cp1.stat('/etc/kubernetes/controller-manager.conf')).toMatchObject({ mode: 0o640, uid: 0, gid: 1000 });
    expect(await cp1.stat('/etc/kubernetes/pki/front-proxy-client.key')).toMatchObject({ mode: 0o644, uid: 0, gid: 0 });
    expect(await cp1.stat('/etc/kubernetes/pki/apiserver.key')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
  });

  test('the backup holds the old /etc/kubernetes/pki and kubeconfigs', async () => {
    for (const host of fleet.hosts) {
      const dir = `/var/lib/k8sprep/backup/${summary.runId}/etc/kubernetes`;
      expect(report(summary, host.name).backupDir).toBe(`/var/lib/k8sprep/backup/${summary.runId}`);
      const backup = await hostBashOk(host, `cd ${dir} && find . -type f -print0 | sort -z | xargs -0 sha256sum`);
      const saved = new Map(
        backup
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(66).replace(/^\.\//, ''), l.slice(0, 64)]),
      );
      const old = new Map([...before.get(host.name)!].filter(([p]) => !p.startsWith('manifests/')));
      expect([host.name, saved]).toEqual([host.name, old]);
      expect((await host.stat('/var/lib/k8sprep/backup')).mode).toBe(0o700);
    }
  });

  test('static pods restarted: manifests moved out and back, new containers; /healthz answered by the new apiserver certificate', async () => {
    for (const host of fleet.hosts) {
      const now = await containers(host);
      expect([host.name, [...now.keys()].sort()]).toEqual([host.name, [...STATIC_PODS].sort()]);
      for (const pod of STATIC_PODS) expect([host.name, pod, now.get(pod) === ids.get(host.name)!.get(pod)]).toEqual([host.name, pod, false]);
      const moves = (await host.readFile(`/var/lib/k8sprep/renew/${summary.runId}/log`))
        .split('\n')
        .filter((l) => /manifest-(out|back)|stopped|started|healthy/.test(l));
      expect(moves.map((l) => l.replace('::k8sprep-renew:: ', ''))).toEqual([
        ...STATIC_PODS.map((p) => `manifest-out ${p}`),
        'stopped',
        ...[...STATIC_PODS].sort().map((p) => `manifest-back ${p}`),
        'started',
        'healthy',
      ]);
      expect(await healthz(host)).toEqual({ code: 0, body: 'ok' });
      const [served, file] = await servedAndFileFingerprints(host);
      expect(served).toBe(file);
      expect(await journal(host, summary.runId, 'status')).toBe('done');
    }
  });

  test('one host at a time: each started after the previous one was healthy', async () => {
    const spans = await Promise.all(
      fleet.hosts.map(async (x) => [await journal(x, summary.runId, 'started'), await journal(x, summary.runId, 'finished')] as const),
    );
    expect(spans.map(([s, f]) => s < f)).toEqual([true, true, true]);
    expect(spans[0]![1] < spans[1]![0] && spans[1]![1] < spans[2]![0]).toBe(true);
  });

  test("the local admin.conf got cp1's new admin credentials, its server and CA unchanged", async () => {
    const path = join(cwd, '.k8sprep', NAME, 'admin.conf');
    expect(summary.localAdminConf).toEqual({ path, action: 'updated', from: 'cp1' });
    const local = parse(readFileSync(path, 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
    const onHost = parse(await h('cp1').readFile('/etc/kubernetes/admin.conf')) as typeof local;
    const original = parse(readFileSync(join(pki, 'nodes/cp1/admin.conf'), 'utf8')) as typeof local;
    expect(local.users).toEqual(onHost.users);
    expect(local.clusters).toEqual(original.clusters);
  });

  test('each local node tree got what its host got: certs check of the local PKI and --remote list the same certificates', async () => {
    expect(summary.localTrees).toEqual(
      fleet.hosts.map((x) => ({
        host: x.name,
        path: join(pki, 'nodes', x.name),
        action: 'updated',
        files: targetsOf(x.name).filter((t) => !t.endsWith('/kubelet.conf')).length,
      })),
    );
    /** host -> certificate name -> serial and NotAfter; kubelet.conf aside (a node tree never has one). */
    const serials = (r: CliResult) => {
      expect([r.code, r.stderr]).toEqual([0, '']);
      const out = JSON.parse(r.stdout) as { nodes: { host: string; certificates: { name: string; serial?: string; notAfter?: string }[] }[] };
      return new Map(out.nodes.map((n) => [n.host, n.certificates.filter((c) => c.name !== 'kubelet.conf').map((c) => [c.name, c.serial, c.notAfter])]));
    };
    const local = serials(await cli('certs', 'check', '--json'));
    const remote = serials(await cli('certs', 'check', '--remote', '--json'));
    expect([...local.keys()]).toEqual(['cp1', 'cp2', 'cp3']);
    for (const name of local.keys()) {
      expect([name, local.get(name)!.length]).toEqual([name, LEAVES.length + CONFS[name]!.filter((c) => c !== 'kubelet.conf').length]);
      expect([name, local.get(name)]).toEqual([name, remote.get(name)]);
    }
    // The tree's keys are the host's, with the local PKI's modes (the host's copy came through a
    // heredoc, which ends the PEM with one more newline).
    const onHost = await h('cp1').readFile('/etc/kubernetes/pki/apiserver.key');
    expect(readFileSync(join(pki, 'nodes/cp1/pki/apiserver.key'), 'utf8')).toBe(onHost.replace(/\n+$/, '\n'));
    expect(statSync(join(pki, 'nodes/cp1/pki/apiserver.key')).mode & 0o777).toBe(0o600);
  });

  test('certs check --remote afterwards: clean, the new expiry', async () => {
    const r = await cli('certs', 'check', '--remote', '--warn-within', '47h');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^apiserver {18}\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}1d +ca +ok$/m);
  });
});

describe('certs renew failures stop the roll-out', () => {
  const STATE = '/var/lib/k8sprep-testhost';

  /** The host has a complete set: every leaf and kubeconfig pair matches and verifies, no staged copies. */
  async function expectCompleteSet(host: TestHost): Promise<void> {
    for (const [path, facts] of await hostPairs(host, CONFS[host.name]!))
      expect([host.name, path, facts.verified, facts.keyMatches]).toEqual([host.name, path, true, true]);
    expect([...(await kubeTree(host)).keys()].filter((p) => p.includes('.k8sprep-'))).toEqual([]);
  }

  /** Starts `certs renew --json` and, once `standIn` blocks on `host`, does `then`; returns the CLI's result. */
  async function renewInterrupted(host: TestHost, standIn: string, then: () => Promise<void>, ...args: string[]): Promise<CliResult> {
    const block = await host.block(standIn);
    try {
      const running = cli('certs', 'renew', '--json', ...args);
      await block.waitUntilBlocked(LONG);
      await then();
      return await running;
    } finally {
      await block.release();
    }
  }

  test(
    'an apiserver that never gets healthy: that host fails, the next is not touched',
    async () => {
      const cp3Before = await h('cp3').fileSnapshot(['/etc', '/var']);
      await sh(h('cp2'), `mkdir -p ${STATE}/unhealthy && touch ${STATE}/unhealthy/kube-apiserver`);
      try {
        const r = await cli('certs', 'renew', '--json', '--wait-timeout', '30s');
        expect(r.code).toBe(1);
        const s = summaryOf(r);
        expect(s.hosts.map((x) => x.status)).toEqual(['renewed', 'failed', 'not-run']);
        expect(report(s, 'cp2')).toMatchObject({
          failedStep: 'apply',
          reached: 'while waiting for the apiserver to be healthy',
          error: expect.stringMatching(/^the apiserver did not answer \/healthz with ok within 30s \(last answer: \[-\]etcd failed: reason withheld/),
          notReplaced: [],
          backupDir: `/var/lib/k8sprep/backup/${s.runId}`,
        });
        expect(report(s, 'cp2').replaced.sort()).toEqual(targetsOf('cp2').sort());
        expect(await journal(h('cp2'), s.runId, 'status')).toMatch(/^failed the apiserver did not answer/);
        expect(await h('cp3').fileSnapshot(['/etc', '/var'])).toEqual(cp3Before);
      } finally {
        await sh(h('cp2'), `rm -f ${STATE}/unhealthy/kube-apiserver`);
        await sh(
          h('cp2'),
          'mv /etc/kubernetes/manifests/kube-apiserver.yaml /tmp/ && crictl ps -q >/dev/null && mv /tmp/kube-apiserver.yaml /etc/kubernetes/manifests/',
        );
        await startStaticPods(h('cp2'));
      }
    },
    LONG,
  );

  test(
    'a lost connection after the commit point: reported, the rest untouched, and the host finishes the renewal by itself',
    async () => {
      const cp2 = h('cp2');
      const old = await kubeTree(cp2);
      const cp3Before = await h('cp3').fileSnapshot(['/etc', '/var']);
      let runId: string;
      // crictl is first called by commit.sh, after the swap, waiting for the pods to stop.
      const r = await renewInterrupted(cp2, 'crictl', () => cp2.dropSshd());
      try {
        expect(r.code).toBe(1);
        const s = summaryOf(r);
        runId = s.runId;
        expect(s.hosts.map((x) => x.status)).toEqual(['renewed', 'failed', 'not-run']);
        const rep = report(s, 'cp2');
        expect(rep).toMatchObject({ failedStep: 'apply', error: expect.stringMatching(/^connection to cp2 \(127\.[\d.]+:22\) lost/) });
        expect(rep.notes.join('\n')).toContain('the renewal passed its commit point: cp2 completes it (swap, static pod restart) by itself');
        expect([...rep.replaced, ...rep.notReplaced].sort()).toEqual(targetsOf('cp2').sort());
        expect(await h('cp3').fileSnapshot(['/etc', '/var'])).toEqual(cp3Before);
      } finally {
        await cp2.startSshd();
      }
      // Released, the detached commit.sh carries on: pods back, healthy, done.
      for (const end = Date.now() + LONG / 2; Date.now() < end && !(await cp2.exists(`/var/lib/k8sprep/renew/${runId}/status`));)
        await new Promise((res) => setTimeout(res, 200));
      expect(await journal(cp2, runId, 'status')).toBe('done');
      await expectCompleteSet(cp2);
      const now = await kubeTree(cp2);
      for (const t of targetsOf('cp2')) expect(now.get(t.replace('/etc/kubernetes/', ''))).not.toBe(old.get(t.replace('/etc/kubernetes/', '')));
      expect([...(await containers(cp2)).keys()].sort()).toEqual([...STATIC_PODS].sort());
      expect(await healthz(cp2)).toEqual({ code: 0, body: 'ok' });
    },
    LONG,
  );

  test(
    'Ctrl-C after the commit point: one line, the summary, exit 130, the rest untouched, the host finishes by itself',
    async () => {
      const cp2 = h('cp2');
      const cp3Before = await h('cp3').fileSnapshot(['/etc', '/var']);
      const block = await cp2.block('crictl');
      let r: CliResult;
      try {
        const running = startCli(['certs', 'renew', '--json'], { cwd, home: fleet.home });
        await block.waitUntilBlocked(LONG);
        running.child.kill('SIGINT');
        r = await running.result;
      } finally {
        await block.release();
      }
      expect(r.code).toBe(130);
      expect(r.stderr).toContain('interrupted (Ctrl-C): ending the running script; a host past its commit point finishes its renewal by itself');
      const s = summaryOf(r);
      expect(s.hosts.map((x) => x.status)).toEqual(['renewed', 'failed', 'not-run']);
      expect(report(s, 'cp2')).toMatchObject({ failedStep: 'apply', error: 'interrupted (Ctrl-C) during apply' });
      expect(report(s, 'cp2').notes.join('\n')).toContain('the renewal passed its commit point: cp2 completes it');
      expect(await h('cp3').fileSnapshot(['/etc', '/var'])).toEqual(cp3Before);
      for (const end = Date.now() + LONG / 2; Date.now() < end && !(await cp2.exists(`/var/lib/k8sprep/renew/${s.runId}/status`));)
        await new Promise((res) => setTimeout(res, 200));
      expect(await journal(cp2, s.runId, 'status')).toBe('done');
      await expectCompleteSet(cp2);
      expect(await healthz(cp2)).toEqual({ code: 0, body: 'ok' });
    },
    LONG,
  );

  test(
    'sshd and everything on the host killed before the commit point: the complete old set, nothing else touched',
    async () => {
      const cp2 = h('cp2');
      const old = await kubeTree(cp2);
      const cp3Before = await h('cp3').fileSnapshot(['/etc', '/var']);
      // The preconditions ask systemctl whether the kubelet runs: before anything is written.
      const r = await renewInterrupted(cp2, 'systemctl', () => cp2.stopSshd());
      await cp2.startSshd();
      expect(r.code).toBe(1);
      const s = summaryOf(r);
      expect(s.hosts.map((x) => x.status)).toEqual(['renewed', 'failed', 'not-run']);
      expect(report(s, 'cp2')).toMatchObject({ failedStep: 'apply', reached: 'before anything was written', replaced: [] });
      expect(report(s, 'cp2').notReplaced.sort()).toEqual(targetsOf('cp2').sort());
      expect(await kubeTree(cp2)).toEqual(old);
      expect(await cp2.exists(`/var/lib/k8sprep/renew/${s.runId}`)).toBe(false);
      expect(await h('cp3').fileSnapshot(['/etc', '/var'])).toEqual(cp3Before);
      await startStaticPods(cp2); // stopSshd took the stand-in apiserver too
    },
    LONG,
  );

  test(
    'everything killed after the commit point: the complete new set; check --remote flags it; the next renew rolls it forward',
    async () => {
      const cp2 = h('cp2');
      const old = await kubeTree(cp2);
      const r = await renewInterrupted(cp2, 'crictl', () => cp2.stopSshd(), '--hosts', 'cp2');
      await cp2.startSshd();
      expect(r.code).toBe(1);
      const { runId } = summaryOf(r);
      expect(report(summaryOf(r), 'cp2')).toMatchObject({ status: 'failed', failedStep: 'apply' });
      await expectCompleteSet(cp2);
      const now = await kubeTree(cp2);
      for (const t of targetsOf('cp2')) expect(now.get(t.replace('/etc/kubernetes/', ''))).not.toBe(old.get(t.replace('/etc/kubernetes/', '')));
      expect([...now.keys()].filter((p) => p.startsWith('manifests/'))).toEqual([]); // out, in the journal
      expect(await cp2.exists(`/var/lib/k8sprep/renew/${runId}/status`)).toBe(false);

      const check = await cli('certs', 'check', '--remote', '--hosts', 'cp2');
      expect(check.code).toBe(1);
      expect(check.stdout).toContain(
        `cp2: certs renew run ${runId} was interrupted (committed) and has not finished: run \`k8sprep certs renew --hosts cp2\` to complete it`,
      );

      const again = await cli('certs', 'renew', '--json', '--hosts', 'cp2');
      expect(again.code).toBe(0);
      expect(report(summaryOf(again), 'cp2')).toMatchObject({ status: 'renewed', recovered: [{ runId, direction: 'forward' }] });
      expect(await journal(cp2, runId, 'status')).toBe('done');
      await expectCompleteSet(cp2);
      expect([...(await containers(cp2)).keys()].sort()).toEqual([...STATIC_PODS].sort());
      expect(await healthz(cp2)).toEqual({ code: 0, body: 'ok' });
    },
    LONG,
  );

  test(
    'everything killed in the middle of the renames (a slow disk): the next renew completes the interrupted set first',
    async () => {
      const cp3 = h('cp3');
      // Test only: an mv that stalls on the third rename of a staged file, as a slow disk would.
      const wrapper = `#!/bin/bash
. /usr/lib/k8sprep-testhost/lib.sh
if [[ "$*" == *.k8sprep-* ]]; then
  n=$(( $(cat /tmp/mv-count 2>/dev/null || echo 0) + 1 )); echo "$n" >/tmp/mv-count
  [ "$n" = 3 ] && th_block_point mv
fi
exec /bin/mv "$@"
`;
      await hostBashOk(cp3, 'cat >/usr/local/bin/mv && chmod 755 /usr/local/bin/mv', { input: wrapper });
      try {
        const r = await renewInterrupted(cp3, 'mv', () => cp3.stopSshd(), '--hosts', 'cp3');
        await cp3.startSshd();
        expect(r.code).toBe(1);
        const { runId } = summaryOf(r);
        const log = await cp3.readFile(`/var/lib/k8sprep/renew/${runId}/log`);
        expect(log.split('\n').filter((l) => l.includes(' replaced '))).toHaveLength(2);
        await sh(cp3, 'rm -f /usr/local/bin/mv /tmp/mv-count');
        const again = await cli('certs', 'renew', '--json', '--hosts', 'cp3');
        expect(again.code).toBe(0);
        expect(report(summaryOf(again), 'cp3').recovered).toEqual([{ runId, direction: 'forward' }]);
        const finished = await cp3.readFile(`/var/lib/k8sprep/renew/${runId}/log`);
        expect(finished.split('\n').filter((l) => l.includes(' replaced '))).toHaveLength(targetsOf('cp3').length);
        await expectCompleteSet(cp3);
        expect(await healthz(cp3)).toEqual({ code: 0, body: 'ok' });
      } finally {
        await sh(cp3, 'rm -f /usr/local/bin/mv /tmp/mv-count');
      }
    },
    LONG,
  );
});
