/**
 * A real etcd (Debian's etcd-server) on 127.0.0.1 serving with a node's generated
 * etcd/server and etcd/peer certificates and requiring client certificates from etcd/ca;
 * `etcdctl endpoint health` works with etcd/healthcheck-client and apiserver-etcd-client,
 * and fails with a client certificate from another cluster's etcd CA (DESIGN §5).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatePki } from '../../src/pki/generate.js';
import { testCluster, tempDir } from './fixture.js';
import { freePort, requireTool, run, type RunResult } from './tools.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let pki = '';
let otherPki = '';
let etcdBin = '';
let etcdctlBin = '';
let etcd: ChildProcess | undefined;
let etcdLog = '';
let clientPort = 0;

const nodePki = (dir: string, node: string) => join(dir, 'nodes', node, 'pki');

function etcdctl(certDir: string, client: string, args: string[] = ['endpoint', 'health']): Promise<RunResult> {
  return run(
    etcdctlBin,
    [
      '--endpoints',
      `https://127.0.0.1:${clientPort}`,
      '--cacert',
      join(nodePki(pki, 'cp1'), 'etcd', 'ca.crt'),
      '--cert',
      join(certDir, `${client}.crt`),
      '--key',
      join(certDir, `${client}.key`),
      '--dial-timeout',
      '2s',
      '--command-timeout',
      '3s',
      ...args,
    ],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCDCTL_API: '3' } },
  );
}

async function waitHealthy(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: RunResult | undefined;
  while (Date.now() < until) {
    if (etcd && (etcd.exitCode !== null || etcd.signalCode !== null)) break;
    last = await etcdctl(join(nodePki(pki, 'cp1'), 'etcd'), 'healthcheck-client');
    if (last.code === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`etcd did not become healthy: ${last?.stderr ?? ''}\n--- etcd log ---\n${etcdLog.slice(-4000)}`);
}

beforeAll(async () => {
  etcdBin = requireTool('etcd');
  etcdctlBin = requireTool('etcdctl');
  tmp = tempDir('k8sprep-etcd-');
  pki = join(tmp.path, 'pki');
  otherPki = join(tmp.path, 'other-pki');
  // cp1's etcd certificates carry 127.0.0.1 (DESIGN §4), so the node's etcd can serve on loopback.
  await generatePki(testCluster({ name: 'etcdtest' }), pki);
  await generatePki(testCluster({ name: 'othercluster' }), otherPki);
  clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = join(tmp.path, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const certs = join(nodePki(pki, 'cp1'), 'etcd');
  const peerUrl = `https://127.0.0.1:${peerPort}`;
  const clientUrl = `https://127.0.0.1:${clientPort}`;
  etcd = spawn(
    etcdBin,
    [
      '--name',
      'cp1',
      '--data-dir',
      dataDir,
      '--cert-file',
      join(certs, 'server.crt'),
      '--key-file',
      join(certs, 'server.key'),
      '--trusted-ca-file',
      join(certs, 'ca.crt'),
      '--client-cert-auth',
      '--peer-cert-file',
      join(certs, 'peer.crt'),
      '--peer-key-file',
      join(certs, 'peer.key'),
      '--peer-trusted-ca-file',
      join(certs, 'ca.crt'),
      '--peer-client-cert-auth',
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `cp1=${peerUrl}`,
      '--initial-cluster-state',
      'new',
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  etcd.stdout?.on('data', (d: Buffer) => (etcdLog += d.toString()));
  etcd.stderr?.on('data', (d: Buffer) => (etcdLog += d.toString()));
  await waitHealthy(30_000);
}, 120_000);

afterAll(async () => {
  // Stop the etcd this test started, by its PID, and wait for it to go.
  if (etcd && etcd.exitCode === null && etcd.signalCode === null && etcd.pid !== undefined) {
    const exited = new Promise((r) => etcd?.once('exit', r));
    process.kill(etcd.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (etcd.exitCode === null && etcd.signalCode === null) process.kill(etcd.pid, 'SIGKILL');
  }
  tmp?.remove();
});

test('etcdctl endpoint health with etcd/healthcheck-client succeeds', async () => {
  const r = await etcdctl(join(nodePki(pki, 'cp1'), 'etcd'), 'healthcheck-client');
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).toMatch(/is healthy/);
});

test('apiserver-etcd-client can health-check, write and read', async () => {
  const dir = nodePki(pki, 'cp1');
  expect((await etcdctl(dir, 'apiserver-etcd-client')).code).toBe(0);
  expect((await etcdctl(dir, 'apiserver-etcd-client', ['put', '/k8sprep/test', 'ok'])).code).toBe(0);
  const got = await etcdctl(dir, 'apiserver-etcd-client', ['get', '/k8sprep/test', '--print-value-only']);
  expect(got.stdout.trim()).toBe('ok');
});

test("another control plane's clients (same etcd CA) are accepted too", async () => {
  expect((await etcdctl(nodePki(pki, 'cp2'), 'apiserver-etcd-client')).code).toBe(0);
});

test("a client certificate from a different cluster's etcd CA is refused", async () => {
  const r = await etcdctl(join(nodePki(otherPki, 'cp1'), 'etcd'), 'healthcheck-client');
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).not.toMatch(/is healthy/);
});

test('a client certificate from a different CA of the same cluster (front-proxy) is refused', async () => {
  const r = await etcdctl(nodePki(pki, 'cp1'), 'front-proxy-client');
  expect(r.code).not.toBe(0);
});
