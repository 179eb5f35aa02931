/**
 * What long or quiet commands print, through the built CLI (issue 10 items 4 and 8):
 * certs generate's progress in a log (one line per phase, no redraws) and its estimate
 * before the keys start; --quiet leaving only errors and the verdict; NO_COLOR and
 * --no-color taking the colour out of what oclif and the prompts draw.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keysLine } from '../../src/commands/certs/generate.js';
import { assertBuilt, BIN, type Listener, runCli, startListener, tempDir } from '../helpers/cli.js';
import { startCliInPty } from '../helpers/pty.js';
import { clusterYaml } from '../pki/fixture.js';

const SGR = /\u001b\[[0-9;]*m/;
let work: ReturnType<typeof tempDir>;
let listener: Listener;

beforeAll(async () => {
  assertBuilt();
  work = tempDir('k8sprep-output-');
  listener = await startListener('127.0.0.95');
});
afterAll(async () => {
  await listener.close();
  work.remove();
});

describe('certs generate progress', () => {
  let cwd = '';
  beforeAll(() => {
    cwd = join(work.path, 'generate');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'cluster.yaml'), clusterYaml({ name: 'progress', hosts: [{ name: 'cp1', address: '192.168.56.11' }] }));
  });

  test('without a terminal: the estimate line before the keys, one closing line, no redraws; stdout unchanged', async () => {
    const r = await runCli(['certs', 'generate'], { cwd });
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const planned = /^making (\d+) RSA-2048 keys: about \d+ s with \d+ at a time$/.exec(lines[0] ?? '');
    expect(planned).not.toBeNull();
    const keys = Number(planned?.[1]);
    // One key per .key file and per kubeconfig (its client key); a node's copies of the shared keys are no new keys.
    const created = r.stdout
      .split('\n')
      .filter((l) => /^ {2}created +\S+\.(key|conf)$/.test(l) && !/nodes\/[^/]+\/pki\/(ca|front-proxy-ca|etcd\/ca|sa)\.key$/.test(l));
    expect(keys).toBe(created.length);
    expect(keys).toBeGreaterThan(10);
    expect(lines[1]).toBe(`keys ${keys}/${keys} made; certificates and kubeconfigs written`);
    expect(r.stderr).not.toMatch(/\r|\u001b/);
    expect(r.stdout).toMatch(/^created \d+, reissued 0, updated 0, removed 0, kept 0$/m);
  });

  test('again, nothing to make: it says so', async () => {
    const r = await runCli(['certs', 'generate'], { cwd });
    expect([r.code, r.stderr]).toEqual([0, 'no new keys needed: every key is kept\n']);
  });

  test('--quiet: the counts and the hash only; --json: no progress', async () => {
    const quiet = await runCli(['certs', 'generate', '--quiet'], { cwd });
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    expect(quiet.stdout).toMatch(/^created \d+, reissued 0, updated 0, removed 0, kept \d+\ndiscovery-token-ca-cert-hash: sha256:[0-9a-f]{64}\n$/);
    const json = await runCli(['certs', 'generate', '--json'], { cwd });
    expect([json.code, json.stderr]).toEqual([0, '']);
  });

  test('on a terminal: a spinner counts the keys in place, then the closing line replaces it', async () => {
    const ttyCwd = join(work.path, 'generate-tty');
    mkdirSync(ttyCwd);
    writeFileSync(join(ttyCwd, 'cluster.yaml'), clusterYaml({ name: 'spinner', hosts: [{ name: 'cp1', address: '192.168.56.11' }] }));
    const t = startCliInPty(['certs', 'generate'], { cwd: ttyCwd });
    try {
      const r = await t.result;
      expect(r.code).toBe(0);
      const raw = t.raw();
      expect(raw).toMatch(/making \d+ RSA-2048 keys: about \d+ s/);
      // Redrawn in place: carriage return, erase line, a braille frame, the count.
      expect(raw).toMatch(/\r\u001b\[K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] keys \d+\/\d+/);
      expect(raw).toMatch(/\r\u001b\[Kkeys (\d+)\/\1 made; certificates and kubeconfigs written/);
    } finally {
      t.kill();
    }
  }, 60_000);

  test('RSA-4096: the line says what a key costs, before they start', () => {
    expect(keysLine(16, 4096)).toMatch(
      /^making 16 RSA-4096 keys: about \d+ s with \d+ at a time; RSA-4096 takes about 3 s of CPU per key, some keys much longer$/,
    );
    expect(keysLine(1, 2048)).toMatch(/^making 1 RSA-2048 key: about 1 s/);
  });
});

describe('node init --quiet', () => {
  /** One host whose SSH port closes every connection: the run fails at once, contacting only loopback. */
  function failingCluster(): string {
    const dir = join(work.path, 'quiet');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: k8sprep.io/v1alpha1',
        'kind: Cluster',
        'metadata: {name: quiet}',
        'spec:',
        '  kubernetes: {version: "1.30.6"}',
        `  ssh: {port: ${listener.port}}`,
        `  hosts: [{name: cp1, address: ${listener.host}, roles: [control-plane], os: arch}]`,
        '',
      ].join('\n'),
    );
    return file;
  }

  test('prints only the failure and the verdict; without it, the progress and the table too', async () => {
    const file = failingCluster();
    const home = join(work.path, 'quiet-home');
    mkdirSync(home, { recursive: true });
    const quiet = await runCli(['node', 'init', '--prep-only', '--quiet', '-c', file], { cwd: work.path, home });
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe('');
    const lines = quiet.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('0 of 1 host succeeded');
    expect(lines[1]).toBe('');
    expect(lines[2]).toMatch(/^cp1: cannot connect to cp1 \(127\.0\.0\.95:\d+\): /);
    expect(lines).toHaveLength(3);

    const loud = await runCli(['node', 'init', '--prep-only', '-c', file], { cwd: work.path, home });
    expect(loud.code).toBe(1);
    expect(loud.stderr).toContain('connecting to 1 host');
    expect(loud.stdout).toMatch(/^HOST +OS +STATUS/m);
    expect(loud.stdout).toMatch(/^0 of 1 host succeeded\n\ncp1: cannot connect to cp1 /m);
  });

  test('--quiet and --verbose contradict each other: exit 2', async () => {
    const r = await runCli(['node', 'init', '--quiet', '--verbose', '-c', failingCluster()], { cwd: work.path });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('--quiet: cannot be combined with --verbose\n');
  });
});

describe('colour', () => {
  test('oclif colours its help when forced; NO_COLOR and --no-color take them out', () => {
    // runCli always sets NO_COLOR; here the environment is chosen per run.
    const help = (env: Record<string, string>, ...extra: string[]) => {
      const r = spawnSync(process.execPath, [BIN, 'config', 'validate', '--help', ...extra], {
        cwd: work.path,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work.path, FORCE_COLOR: '1', ...env },
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('USAGE');
      return r.stdout;
    };
    expect(help({})).toMatch(SGR);
    expect(help({ NO_COLOR: '1' })).not.toMatch(SGR);
    expect(help({}, '--no-color')).not.toMatch(SGR);
  });

  test('the questions of config init are coloured on a terminal, and not with --no-color', async () => {
    const ask = async (extra: string[]) => {
      const t = startCliInPty(['config', 'init', '-c', `colour-${extra.length}.yaml`, ...extra], { cwd: work.path });
      try {
        await t.waitFor(/Cluster name/, 20_000);
        t.type('\u0003');
        await t.result;
        return t.raw();
      } finally {
        t.kill();
      }
    };
    expect(await ask([])).toMatch(SGR);
    expect(await ask(['--no-color'])).not.toMatch(SGR);
  }, 60_000);
});
