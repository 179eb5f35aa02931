/**
 * `node script` through the built CLI, without hosts (the e2e file runs what it prints): the
 * bootstrap token only with --show-secrets (redacted everywhere else, files without it readable,
 * files with it the owner's only), the CA's hash from the local state, and bad input as one line,
 * exit 2, no host contacted (the hosts point at a loopback listener that counts connections).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { assertBuilt, type Listener, listTree, runCli, startListener, tempDir } from '../helpers/cli.js';
import { opensslCaHash } from '../helpers/bootstrap-e2e.js';
import { HandMadePki } from '../hosts/kube-fixture.js';

const TOKEN = 'k8sprp.0123456789abcdef';
const TOKEN_SECRET = TOKEN.split('.')[1] ?? '';
const REDACTED = '<redacted:bootstrap-token>';

let listener: Listener;
let work: ReturnType<typeof tempDir>;
let caHash = '';

interface UserData {
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[];
}

beforeAll(async () => {
  assertBuilt();
  listener = await startListener('127.0.0.97');
  work = tempDir('k8sprep-node-script-');
  writeFileSync(
    join(work.path, 'cluster.yaml'),
    [
      'apiVersion: k8sprep.io/v1alpha1',
      'kind: Cluster',
      'metadata: {name: ns}',
      'spec:',
      '  kubernetes: {version: "1.30.6"}',
      `  ssh: {port: ${listener.port}}`,
      '  hosts:',
      '    - {name: cp1, address: 127.0.0.97, roles: [control-plane], os: centos7}',
      '    - {name: w1, address: 127.0.0.98, roles: [worker], os: arch}',
      '    - {name: w2, address: 127.0.0.99, roles: [worker], os: centos7}',
      '    - {name: w3, address: 127.0.0.96, roles: [worker]}',
      '',
    ].join('\n'),
  );
  // The local state node init leaves: the CA (made here with openssl) and the bootstrap token.
  const pki = join(work.path, '.k8sprep', 'ns', 'pki');
  await new HandMadePki(pki).ca('ca', 'kubernetes');
  writeFileSync(join(work.path, '.k8sprep', 'ns', 'token'), `${TOKEN}\n`, { mode: 0o600 });
  caHash = opensslCaHash(join(pki, 'ca.crt'));
});
afterAll(async () => {
  await listener.close();
  work.remove();
});

const cli = (...args: string[]) => runCli(args, { cwd: work.path });

describe('secrets', () => {
  test.each(['cloud-init', 'bash'])('%s without --show-secrets: the token redacted, the CA hash there, a note says the output cannot join', async (format) => {
    const r = await cli('node', 'script', '--hosts', 'w1', '--format', format);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(REDACTED);
    expect(r.stdout).toContain(caHash);
    expect(r.stdout).not.toContain(TOKEN_SECRET);
    expect(r.stderr).toBe(`note: the bootstrap token is ${REDACTED}: this output cannot join a machine; --show-secrets puts the token in\n`);
    expect(listener.connections()).toBe(0);
  });

  test('cloud-init without --show-secrets: the join script of the parsed user-data carries the redaction where the token goes', async () => {
    const r = await cli('node', 'script', '--hosts', 'w1');
    const data = parse(r.stdout) as UserData;
    expect(data.write_files.map((f) => f.path.split('/').at(-1))).toEqual(['01-preflight.sh', '02-prep.sh', '03-join-worker.sh', 'run.sh']);
    const join = data.write_files[2]?.content ?? '';
    expect(join).toMatch(new RegExp(`token: ${REDACTED}`));
    expect(join).toContain(caHash);
  });

  test('--show-secrets: the token is in the join script, and a note says who can use it', async () => {
    const r = await cli('node', 'script', '--hosts', 'w1', '--show-secrets');
    expect(r.code).toBe(0);
    const data = parse(r.stdout) as UserData;
    expect(data.write_files[2]?.content).toMatch(new RegExp(`token: ${TOKEN.replace('.', '\\.')}`));
    expect(r.stdout).not.toContain(REDACTED);
    expect(r.stderr).toMatch(/^note: the output holds the bootstrap token k8sprp\.\*: whoever reads it can join machines/);
    expect(r.stderr).not.toContain(TOKEN_SECRET);
  });

  test('--out: one file per host; readable by all when redacted, the owner only with the token', async () => {
    const redacted = await cli('node', 'script', '--hosts', 'w1,w2', '--out', 'plain');
    expect([redacted.code, redacted.stdout]).toEqual([0, 'plain/w1.yaml\nplain/w2.yaml\n']);
    expect(listTree(join(work.path, 'plain'))).toEqual(['w1.yaml', 'w2.yaml']);
    expect(statSync(join(work.path, 'plain', 'w1.yaml')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(work.path, 'plain', 'w2.yaml'), 'utf8')).not.toContain(TOKEN_SECRET);

    const secret = await cli('node', 'script', '--hosts', 'w2', '--format', 'bash', '--out', 'secret', '--show-secrets');
    expect([secret.code, secret.stdout]).toEqual([0, 'secret/w2.sh\n']);
    expect(statSync(join(work.path, 'secret')).mode & 0o777).toBe(0o700);
    expect(statSync(join(work.path, 'secret', 'w2.sh')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(work.path, 'secret', 'w2.sh'), 'utf8')).toContain(TOKEN);
  });

  test('the generic template names no host of the file and is redacted the same way', async () => {
    const r = await cli('node', 'script', '--role', 'worker', '--os', 'arch');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(REDACTED);
    expect(r.stdout).not.toContain(TOKEN_SECRET);
    const data = parse(r.stdout) as UserData;
    const joinScript = data.write_files[2]?.content ?? '';
    expect(joinScript).toContain('name: K8SPREP_NODE_NAME');
    expect(joinScript).not.toMatch(/name: w[0-9]/);
    expect(joinScript).not.toMatch(/127\.0\.0\.9[689]/); // the workers'; .97 is cp1, the endpoint
  });
});

describe('bad input: one line, exit 2, nothing contacted or written', () => {
  const cases: [string, string[], string][] = [
    ['a control plane', ['--hosts', 'cp1'], "--hosts: cp1: a control plane; a control plane's scripts would carry the cluster's CA"],
    ['the control-plane role', ['--role', 'control-plane', '--os', 'centos7'], "--role: only worker: a control plane's scripts"],
    ['--role without --os', ['--role', 'worker'], '--os: is required with --role'],
    ['neither --hosts nor --role', [], '--hosts: or --role worker with --os is required'],
    ['--hosts with --os', ['--hosts', 'w1', '--os', 'arch'], '--os: cannot be combined with --hosts'],
    ['two hosts on standard output', ['--hosts', 'w1,w2'], '--out: is required for 2 hosts'],
    ['an unknown host', ['--hosts', 'w9'], '--hosts:'],
    ['a host without a declared OS', ['--hosts', 'w3'], 'cluster.yaml:11:7: spec.hosts[3].os: needed by node script, which contacts no host'],
  ];
  test.each(cases)('%s', async (_what, args, start) => {
    const before = listTree(work.path);
    const r = await cli('node', 'script', ...args);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr.startsWith(start)).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(listTree(work.path)).toEqual(before);
    expect(listener.connections()).toBe(0);
  });

  test('no local state: the missing file named, with what to run first', async () => {
    const other = tempDir('k8sprep-node-script-nostate-');
    try {
      writeFileSync(join(other.path, 'cluster.yaml'), readFileSync(join(work.path, 'cluster.yaml')));
      const r = await runCli(['node', 'script', '--hosts', 'w1'], { cwd: other.path });
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toMatch(
        /^\S*\.k8sprep\/ns\/pki\/ca\.crt: missing: the scripts join the cluster node init made .*: run node init \(or node join\) first\n$/,
      );
      expect(listTree(other.path)).toEqual(['cluster.yaml']);
    } finally {
      other.remove();
    }
  });
});
