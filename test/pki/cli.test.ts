/**
 * The certs commands through the built CLI (`node bin/run.js certs ...`): generate into the
 * default state directory, check's table / --json / --warn-within exit codes, hash equal
 * to the openssl pipeline, refusals with exit 1, input errors with exit 2. No private key
 * is ever printed.
 */
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, EXAMPLES, runCli, tempDir } from '../helpers/cli.js';
import { clusterYaml } from './fixture.js';
import { requireTool, run } from './tools.js';

let tmp: ReturnType<typeof tempDir>;
let cwd = '';
let home = '';
let pki = '';

const cli = (...args: string[]) => runCli(args, { cwd, home });

function noSecrets(text: string): void {
  expect(text).not.toMatch(/PRIVATE KEY|client-key-data|LS0tLS1CRUdJTiBSU0Eg/);
}

beforeAll(async () => {
  requireTool('openssl');
  assertBuilt();
  tmp = tempDir('k8sprep-certs-cli-');
  cwd = join(tmp.path, 'work');
  home = join(tmp.path, 'home');
  mkdirSync(cwd);
  mkdirSync(home);
  // 3 control planes, leaves valid 24h: inside a 30d window, outside a 1h one.
  writeFileSync(join(cwd, 'cluster.yaml'), clusterYaml({ name: 'clitest', endpoint: '192.168.56.100', certValidity: '24h' }));
  pki = join(cwd, '.k8sprep', 'clitest', 'pki');
  const r = await cli('certs', 'generate');
  // Progress only (test/cli/output.test.ts looks at it): no error, no key.
  expect(r.stderr).toMatch(/^making 35 RSA-2048 keys: .*\nkeys 35\/35 made; certificates and kubeconfigs written\n$/);
  expect(r.code).toBe(0);
  noSecrets(r.stdout);
  expect(r.stdout).toContain(`PKI for cluster clitest (3 control plane(s)) in ${pki}`);
  expect(r.stdout).toMatch(/^ {2}created {2}nodes\/cp3\/pki\/etcd\/peer\.key$/m);
  expect(r.stdout).toContain('created 84, reissued 0, updated 0, removed 0, kept 0');
});
afterAll(() => tmp?.remove());

test('generate writes the default state directory .k8sprep/<cluster>/pki, 0700', () => {
  expect(statSync(join(cwd, '.k8sprep', 'clitest')).mode & 0o777).toBe(0o700);
  expect(statSync(pki).mode & 0o777).toBe(0o700);
  expect(statSync(join(pki, 'nodes/cp2/pki/apiserver.key')).mode & 0o777).toBe(0o600);
});

test('generate again: everything kept; the printed hash is the openssl one; certs hash prints it too', async () => {
  const r = await cli('certs', 'generate');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('created 0, reissued 0, updated 0, removed 0, kept 84');
  const openssl = await run('bash', [
    '-c',
    'set -o pipefail; openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum',
    'h',
    join(pki, 'ca.crt'),
  ]);
  const want = `sha256:${openssl.stdout.split(' ')[0]}`;
  expect(r.stdout).toContain(`discovery-token-ca-cert-hash: ${want}`);
  const hash = await cli('certs', 'hash');
  expect({ code: hash.code, out: hash.stdout.trim() }).toEqual({ code: 0, out: want });
  const byFile = await cli('certs', 'hash', '--ca-cert', join(pki, 'nodes/cp3/pki/ca.crt'));
  expect(byFile.stdout.trim()).toBe(want);
});

test('check --warn-within 30d: exit 1, every leaf and kubeconfig flagged; 1h: exit 0', async () => {
  const soon = await cli('certs', 'check', '--warn-within', '30d');
  expect(soon.code).toBe(1);
  expect(soon.stdout).toMatch(/^CERTIFICATE {16}EXPIRES {18}RESIDUAL TIME {3}CERTIFICATE AUTHORITY {3}STATUS$/m);
  expect(soon.stdout).toMatch(/^apiserver {18}\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}23h +ca +expires soon$/m);
  expect(soon.stdout).toContain('31 certificate(s) expire within 30d');
  noSecrets(soon.stdout);
  const fine = await cli('certs', 'check', '--warn-within', '1h');
  expect(fine.code).toBe(0);
  expect(fine.stdout).toContain('nothing expires within 1h');
  const plain = await cli('certs', 'check');
  expect(plain.code).toBe(0);
});

test('check --json: the shape machines read', async () => {
  const r = await cli('certs', 'check', '--warn-within', '30d', '--json');
  expect(r.code).toBe(1);
  noSecrets(r.stdout);
  const out = JSON.parse(r.stdout);
  expect(Object.keys(out).sort()).toEqual(['checkedAt', 'expiring', 'nodes', 'ok', 'problems', 'shared', 'source', 'warnWithinSeconds']);
  expect(out.ok).toBe(false);
  expect(out.problems).toEqual([]);
  expect(out.warnWithinSeconds).toBe(30 * 86400);
  expect(out.source).toBe(pki);
  expect(out.shared.authorities.map((a: { name: string }) => a.name)).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
  expect(out.nodes.map((n: { host: string }) => n.host)).toEqual(['cp1', 'cp2', 'cp3']);
  const apiserver = out.nodes[0].certificates.find((c: { name: string }) => c.name === 'apiserver');
  expect(Object.keys(apiserver).sort()).toEqual([
    'authority',
    'kind',
    'name',
    'notAfter',
    'notBefore',
    'path',
    'problems',
    'residualSeconds',
    'serial',
    'subject',
  ]);
  expect(apiserver).toMatchObject({
    name: 'apiserver',
    kind: 'leaf',
    authority: 'ca',
    path: 'nodes/cp1/pki/apiserver.crt',
    subject: 'CN=kube-apiserver',
    problems: [],
  });
  expect(apiserver.residualSeconds).toBeGreaterThan(23 * 3600);
  expect(apiserver.residualSeconds).toBeLessThanOrEqual(24 * 3600);
  expect(out.expiring).toHaveLength(31);
  expect(out.expiring[0]).toEqual({
    where: expect.any(String),
    name: expect.any(String),
    path: expect.any(String),
    notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    residualSeconds: expect.any(Number),
  });
});

test('check reports problems with exit 1: a mismatched key, a missing file', async () => {
  const dir = join(tmp.path, 'broken');
  await run('cp', ['-a', pki, dir]);
  copyFileSync(join(dir, 'nodes/cp1/pki/front-proxy-client.key'), join(dir, 'nodes/cp1/pki/apiserver.key'));
  rmSync(join(dir, 'nodes/cp2/admin.conf'));
  const r = await cli('certs', 'check', '--dir', dir);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^PROBLEMS$/m);
  expect(r.stdout).toContain('  cp1: apiserver: private key does not match the certificate');
  expect(r.stdout).toContain('  cp2: admin.conf: missing nodes/cp2/admin.conf');
});

test('generate refuses to replace a CA (exit 1, one line, no stack)', async () => {
  const dir = join(tmp.path, 'nokey');
  await run('cp', ['-a', pki, dir]);
  rmSync(join(dir, 'front-proxy-ca.key'));
  const r = await cli('certs', 'generate', '--dir', dir);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe(
    `error: ${join(dir, 'front-proxy-ca.crt')} exists without front-proxy-ca.key: refusing to replace the CA (restore front-proxy-ca.key, or remove both to start a new PKI)`,
  );
});

test('input errors exit 2: a bad duration, a missing directory, no cluster file', async () => {
  const bad = await cli('certs', 'check', '--warn-within', 'soon');
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim()).toBe('--warn-within: "soon" is not a duration like 30d, 720h or 1h30m');
  const missing = await cli('certs', 'check', '--dir', join(tmp.path, 'nowhere'));
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no such directory');
  const nofile = await cli('certs', 'generate', '-c', 'nope.yaml');
  expect(nofile.code).toBe(2);
  expect(nofile.stderr.trim()).toBe('--config: nope.yaml: no such file');
});

test('generate --json for examples/ha-centos7.yaml into --dir: the report, no key material', async () => {
  const dir = join(tmp.path, 'example-pki');
  const r = await cli('certs', 'generate', '-c', join(EXAMPLES, 'ha-centos7.yaml'), '--dir', dir, '--json');
  expect(r.code).toBe(0);
  noSecrets(r.stdout);
  const report = JSON.parse(r.stdout);
  expect(report.dir).toBe(dir);
  expect(report.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(report.files).toHaveLength(84);
  expect(report.files[0]).toEqual({ path: 'ca.crt', action: 'created' });
  expect(report.notes).toEqual([]);
  const check = await cli('certs', 'check', '-c', join(EXAMPLES, 'ha-centos7.yaml'), '--dir', dir, '--warn-within', '364d');
  expect(check.code).toBe(0);
});
