/**
 * `k8sprep config init` (issue 10 item 2) through the built CLI: on a real pseudo-terminal
 * (util-linux `script`), answering the questions with keystrokes — each bad answer refused on
 * the spot with `config validate`'s own reason — and non-interactively from flags with --yes.
 * What it writes passes `config validate`, holds comments, and starts with the
 * yaml-language-server line, which names the cluster.schema.json it writes beside the file
 * (never someone else's file of that name). It never overwrites without --force, and without a terminal
 * and --yes it asks nothing and exits 2.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkAnswer } from '../../src/cli/config-init/answers.js';
import { answersFromFlags } from '../../src/cli/config-init/from-flags.js';
import { assertBuilt, runCli, tempDir } from '../helpers/cli.js';
import { type PtyCli, startCliInPty } from '../helpers/pty.js';

const ENTER = '\r';
const UP = '\u001b[A';
const DOWN = '\u001b[B';
const SPACE = ' ';
const BACKSPACE = '\u007f';

let work: ReturnType<typeof tempDir>;
let term: PtyCli | undefined;
const cli = (...args: string[]) => runCli(args, { cwd: work.path });

beforeAll(() => {
  assertBuilt();
  work = tempDir('k8sprep-init-');
});
afterAll(() => work.remove());
afterEach(() => term?.kill());

/** Waits for `question` (the part of the screen after what was already answered), then types. */
async function answer(t: PtyCli, question: RegExp, keys: string): Promise<void> {
  await t.waitFor(question, 20_000);
  t.type(keys);
}

/** Waits until `previous` was answered (its ✔ line) and `question` asked after it, then types. */
async function answerAfter(t: PtyCli, previous: string, question: string, keys: string): Promise<void> {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await answer(t, new RegExp(`✔ ${escape(previous)}[^\n]*\n[\\s\\S]*${escape(question)}`), keys);
}

/** Commented YAML: the schema line first, comment lines, and `key: value  # why` lines. */
function expectCommented(text: string): void {
  const lines = text.split('\n');
  expect(lines[0]).toBe('# yaml-language-server: $schema=./cluster.schema.json');
  expect(lines.filter((l) => /^\s*[a-zA-Z]+:.*\S\s+# \S/.test(l)).length).toBeGreaterThanOrEqual(10);
}

describe('on a terminal', () => {
  test("answers typed one by one, bad ones refused with the validator's reason, make a file config validate accepts", async () => {
    term = startCliInPty(['config', 'init', '-c', 'ha.yaml'], { cwd: work.path });
    const t = term;
    await answer(t, /Cluster name/, `demo${ENTER}`);
    await answer(t, /Kubernetes version \(CentOS 7: 1\.28-1\.34, Arch: 1\.28-1\.35\)/, ENTER);
    await answer(t, /Host 1: name/, `${BACKSPACE.repeat(5)}cp1${ENTER}`);
    await answer(t, /Host 1 \(cp1\): address/, `10.0.0.300${ENTER}`);
    await t.waitFor(/"10\.0\.0\.300" is not an IP address or host name/);
    t.type(`${BACKSPACE.repeat(10)}10.0.0.11${ENTER}`);
    await answer(t, /Host 1 \(cp1\): roles/, ENTER); // control-plane is offered for the first host
    await answer(t, /Host 1 \(cp1\): OS/, `${UP}${UP}${ENTER}`); // CentOS 7
    await answer(t, /Add another host\?/, `y${ENTER}`);
    await answer(t, /Host 2: name/, `${BACKSPACE.repeat(5)}cp1${ENTER}`);
    await t.waitFor(/duplicate host name "cp1"/);
    t.type(`${BACKSPACE.repeat(3)}cp2${ENTER}`);
    await answer(t, /Host 2 \(cp2\): address/, `10.0.0.11${ENTER}`);
    await t.waitFor(/duplicate address|10\.0\.0\.11.*(also|twice)/);
    t.type(`${BACKSPACE.repeat(9)}10.0.0.12${ENTER}`);
    // Offered: worker only; make it control-plane only.
    await answer(t, /Host 2 \(cp2\): roles/, `${SPACE}${DOWN}${SPACE}${ENTER}`);
    await answer(t, /Host 2 \(cp2\): OS/, `${UP}${UP}${ENTER}`);
    await answerAfter(t, 'Host 2 (cp2): OS', 'Add another host?', `y${ENTER}`);
    await answer(t, /Host 3: name/, `${BACKSPACE.repeat(5)}w1${ENTER}`);
    await answer(t, /Host 3 \(w1\): address/, `10.0.0.21${ENTER}`);
    await answer(t, /Host 3 \(w1\): roles/, ENTER);
    await answer(t, /Host 3 \(w1\): OS/, `${UP}${ENTER}`); // Arch
    await answerAfter(t, 'Host 3 (w1): OS', 'Add another host?', ENTER); // default: no
    await answer(t, /Load balancer for the API server/, ENTER); // kube-vip
    await answer(t, /Virtual IP/, `10.0.0.11${ENTER}`);
    await t.waitFor(/is spec\.hosts\[0\]'s own address; a kube-vip endpoint needs a free virtual IP/);
    t.type(`${BACKSPACE.repeat(9)}10.0.0.100${ENTER}`);
    await answer(t, /CNI/, ENTER);
    await answer(t, /Package and image mirrors/, ENTER);
    await answer(t, /SSH user/, ENTER);
    await answer(t, /SSH private key file/, ENTER);
    const r = await t.result;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote ha.yaml: cluster demo, Kubernetes 1.34.2, 3 host(s)');

    const text = readFileSync(join(work.path, 'ha.yaml'), 'utf8');
    expectCommented(text);
    const file = parse(text) as { spec: Record<string, unknown> };
    expect(file.spec.hosts).toEqual([
      { name: 'cp1', address: '10.0.0.11', roles: ['control-plane'], os: 'centos7' },
      { name: 'cp2', address: '10.0.0.12', roles: ['control-plane'], os: 'centos7' },
      { name: 'w1', address: '10.0.0.21', roles: ['worker'], os: 'arch' },
    ]);
    expect(file.spec.controlPlaneEndpoint).toEqual({ host: '10.0.0.100', port: 6443, loadBalancer: 'kube-vip' });
    expect(file.spec.mirrors).toEqual({
      packages: 'aliyun',
      registries: { 'docker.io': ['https://docker.m.daocloud.io'], 'ghcr.io': ['https://ghcr.m.daocloud.io'], 'quay.io': ['https://quay.m.daocloud.io'] },
      binaries: 'https://files.m.daocloud.io/dl.k8s.io',
    });
    const validate = await cli('config', 'validate', '-c', 'ha.yaml');
    expect([validate.code, validate.stderr]).toEqual([0, '']);
    expect(validate.stdout).toMatch(
      /^ok: cluster demo, Kubernetes 1\.34\.2, 3 host\(s\) \(2 control plane, 1 worker; centos7\+arch\), endpoint 10\.0\.0\.100:6443/,
    );
  }, 120_000);

  test('an OS that cannot run the chosen version is refused and asked again', async () => {
    term = startCliInPty(['config', 'init', '-c', 'arch.yaml', '--version', '1.35.0', '--cni', 'flannel', '--mirrors', 'upstream'], { cwd: work.path });
    const t = term;
    await answer(t, /Cluster name/, ENTER);
    await answer(t, /Kubernetes version/, ENTER); // the --version flag is the default offered
    await answer(t, /Host 1: name/, ENTER);
    await answer(t, /Host 1 \(node1\): address/, `10.1.0.11${ENTER}`);
    await answer(t, /Host 1 \(node1\): roles/, `${DOWN}${SPACE}${ENTER}`); // control-plane and worker
    await answer(t, /Host 1 \(node1\): OS/, `${UP}${UP}${ENTER}`);
    await t.waitFor(/Kubernetes 1\.35\.0 cannot run on CentOS 7/);
    await answer(t, /cannot run on CentOS 7[\s\S]*Host 1 \(node1\): OS/, `${UP}${ENTER}`);
    await answer(t, /Add another host\?/, ENTER);
    await answer(t, /CNI/, ENTER);
    await answer(t, /Package and image mirrors/, ENTER);
    await answer(t, /SSH user/, `${BACKSPACE.repeat(4)}admin${ENTER}`);
    await answer(t, /SSH private key file/, `~/.ssh/k8s key${ENTER}`);
    const r = await t.result;
    expect(r.code).toBe(0);
    const text = readFileSync(join(work.path, 'arch.yaml'), 'utf8');
    expectCommented(text);
    expect(text).not.toContain('controlPlaneEndpoint:');
    const file = parse(text) as { spec: { kubernetes: Record<string, unknown>; ssh: unknown; hosts: unknown; mirrors: unknown } };
    expect(file.spec.kubernetes).toMatchObject({ version: '1.35.0', cni: 'flannel', imageRepository: 'registry.k8s.io' });
    expect(file.spec.mirrors).toEqual({ packages: 'upstream' });
    expect(file.spec.ssh).toEqual({ user: 'admin', identityFile: '~/.ssh/k8s key' });
    expect(file.spec.hosts).toEqual([{ name: 'node1', address: '10.1.0.11', roles: ['control-plane', 'worker'], os: 'arch' }]);
    expect((await cli('config', 'validate', '-c', 'arch.yaml')).code).toBe(0);
  }, 120_000);

  test('Ctrl-C at a question: one line, exit 130, nothing written', async () => {
    term = startCliInPty(['config', 'init', '-c', 'cancel.yaml'], { cwd: work.path });
    await answer(term, /Cluster name/, '\u0003');
    const r = await term.result;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('interrupted (Ctrl-C): nothing written');
    expect(existsSync(join(work.path, 'cancel.yaml'))).toBe(false);
  }, 60_000);
});

describe('from flags', () => {
  const HA = [
    '--name',
    'flags',
    '--version',
    '1.30.6',
    '--host',
    'cp1,192.168.56.11,control-plane,centos7',
    '--host',
    'cp2,192.168.56.12,control-plane',
    '--host',
    'w1,192.168.56.21,worker,arch',
  ];

  test('--yes: the flags are the answers; the file passes config validate and explains itself', async () => {
    const r = await cli(
      'config',
      'init',
      '-c',
      'flags.yaml',
      '--yes',
      ...HA,
      '--endpoint',
      '192.168.56.100',
      '--load-balancer',
      'keepalived-haproxy',
      '--ssh-user',
      'ops',
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    const text = readFileSync(join(work.path, 'flags.yaml'), 'utf8');
    expectCommented(text);
    expect(text).toMatch(/^ {4}port: 8443 +# haproxy runs beside the apiservers/m);
    const file = parse(text) as { metadata: unknown; spec: Record<string, unknown> };
    expect(file.metadata).toEqual({ name: 'flags' });
    expect(file.spec.controlPlaneEndpoint).toEqual({ host: '192.168.56.100', port: 8443, loadBalancer: 'keepalived-haproxy' });
    expect(file.spec.ssh).toEqual({ user: 'ops' });
    expect(file.spec.hosts).toEqual([
      { name: 'cp1', address: '192.168.56.11', roles: ['control-plane'], os: 'centos7' },
      { name: 'cp2', address: '192.168.56.12', roles: ['control-plane'] },
      { name: 'w1', address: '192.168.56.21', roles: ['worker'], os: 'arch' },
    ]);
    const validate = await cli('config', 'validate', '-c', 'flags.yaml');
    expect([validate.code, validate.stderr]).toEqual([0, '']);
  });

  test('--yes with bad answers: one line per problem naming the flag, exit 2, nothing written', async () => {
    const r = await cli(
      'config',
      'init',
      '-c',
      'bad.yaml',
      '--yes',
      '--name',
      'Bad_Name',
      '--host',
      'cp1,10.0.0.300,control-plane',
      '--host',
      'cp2,10.0.0.12,control-plane',
      '--host',
      'w1,10.0.0.21',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      '--host: "w1,10.0.0.21" is not NAME,ADDRESS,ROLES[,OS] (ROLES: control-plane, worker or control-plane+worker; OS: centos7 or arch, read over SSH when left out)\n',
    );
    const r2 = await cli(
      'config',
      'init',
      '-c',
      'bad.yaml',
      '--yes',
      '--name',
      'Bad_Name',
      '--host',
      'cp1,10.0.0.300,control-plane',
      '--host',
      'cp2,10.0.0.12,control-plane',
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr.trimEnd().split('\n').sort()).toEqual([
      '--endpoint: is required with 2 control planes (cp1, cp2): a virtual IP or load-balanced name for the API server',
      '--host: "cp1,10.0.0.300,control-plane": address: "10.0.0.300" is not an IP address or host name',
      expect.stringMatching(/^--name: "Bad_Name" is not a valid cluster name/),
    ]);
    expect(existsSync(join(work.path, 'bad.yaml'))).toBe(false);
  });

  test('--yes without any --host says what it needs', async () => {
    const r = await cli('config', 'init', '-c', 'none.yaml', '--yes');
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^--host: is required with --yes: once per host, NAME,ADDRESS,ROLES\[,OS\]/)]);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('without a terminal and without --yes: one line, exit 2, nothing asked or written', async () => {
    const r = await cli('config', 'init', '-c', 'notty.yaml', ...HA);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', '--yes: no terminal to ask the questions on: give the answers as flags with --yes (see --help)\n']);
    expect(existsSync(join(work.path, 'notty.yaml'))).toBe(false);
  });

  test('an existing file is kept unless --force', async () => {
    const path = join(work.path, 'keep.yaml');
    writeFileSync(path, '# mine\n');
    const r = await cli('config', 'init', '-c', 'keep.yaml', '--yes', ...HA, '--endpoint', '192.168.56.100');
    expect([r.code, r.stderr]).toEqual([2, '--config: keep.yaml exists: not overwritten (--force overwrites it)\n']);
    expect(readFileSync(path, 'utf8')).toBe('# mine\n');
    const forced = await cli('config', 'init', '-c', 'keep.yaml', '--yes', '--force', ...HA, '--endpoint', '192.168.56.100');
    expect(forced.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('name: flags');
  });
});

describe('the schema file beside it', () => {
  const HOSTS = ['--host', 'cp1,192.168.56.11,control-plane,centos7'];
  let schemaText = '';
  beforeAll(async () => {
    const r = await cli('config', 'schema');
    expect(r.code).toBe(0);
    schemaText = r.stdout;
  });
  /** A fresh directory under the work dir, with `files` in it. */
  function dirWith(name: string, files: Record<string, string> = {}): string {
    const dir = join(work.path, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  }

  test('absent: written with what config schema prints, and said so', async () => {
    const dir = dirWith('schema-absent');
    const r = await cli('config', 'init', '-c', 'schema-absent/c.yaml', '--yes', ...HOSTS);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain("wrote schema-absent/cluster.schema.json: the cluster file's JSON Schema");
    expect(readFileSync(join(dir, 'cluster.schema.json'), 'utf8')).toBe(schemaText);
    expect(statSync(join(dir, 'cluster.schema.json')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(dir, 'c.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./cluster.schema.json');
  });

  test("another k8sprep version's schema is replaced; this version's is left as it is", async () => {
    const old = `${JSON.stringify({ title: 'k8sprep Cluster (k8sprep.io/v1alpha0)', type: 'object' }, null, 2)}\n`;
    const dir = dirWith('schema-old', { 'cluster.schema.json': old });
    const r = await cli('config', 'init', '-c', 'schema-old/c.yaml', '--yes', ...HOSTS);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain("replaced schema-old/cluster.schema.json (another k8sprep version's schema) with this version's");
    expect(readFileSync(join(dir, 'cluster.schema.json'), 'utf8')).toBe(schemaText);
    const again = await cli('config', 'init', '-c', 'schema-old/c.yaml', '--yes', '--force', ...HOSTS);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).not.toContain('cluster.schema.json');
  });

  test("someone else's cluster.schema.json is left alone, and the cluster file then names no schema", async () => {
    const foreign = '{"title": "my own cluster schema"}\n';
    const dir = dirWith('schema-foreign', { 'cluster.schema.json': foreign });
    const r = await cli('config', 'init', '-c', 'schema-foreign/c.yaml', '--yes', ...HOSTS);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "note: schema-foreign/cluster.schema.json is not k8sprep's schema: left as it is, and schema-foreign/c.yaml names no schema (k8sprep config schema prints it)\n",
    );
    expect(readFileSync(join(dir, 'cluster.schema.json'), 'utf8')).toBe(foreign);
    const text = readFileSync(join(dir, 'c.yaml'), 'utf8');
    expect(text).not.toContain('yaml-language-server');
    expect((await cli('config', 'validate', '-c', 'schema-foreign/c.yaml')).code).toBe(0);
  });
});

test("an answer is judged by config validate's rules: the same reason for the same value in a file", async () => {
  const a = answersFromFlags({ name: 'same', host: ['cp1,192.168.56.11,control-plane', 'w1,10.96.0.5,worker'] });
  const reason = checkAnswer(a, 'spec.hosts[1].address');
  expect(typeof reason).toBe('string');
  writeFileSync(
    join(work.path, 'same.yaml'),
    [
      'apiVersion: k8sprep.io/v1alpha1',
      'kind: Cluster',
      'metadata: {name: same}',
      'spec:',
      '  kubernetes: {version: "1.34.2"}',
      '  hosts:',
      '    - {name: cp1, address: 192.168.56.11, roles: [control-plane]}',
      '    - {name: w1, address: 10.96.0.5, roles: [worker]}',
      '',
    ].join('\n'),
  );
  const r = await cli('config', 'validate', '-c', 'same.yaml');
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`same.yaml:8:27: spec.hosts[1].address: ${String(reason)}\n`);
  expect(checkAnswer(a, 'spec.hosts[0].address')).toBe(true);
});
