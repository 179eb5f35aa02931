/**
 * oclif conventions through the built CLI (issue 10 item 1): `help [COMMAND]`, `--help` and
 * `-h` agree; usage lines are plain `[--flag VALUE]` lists with a value name on every flag
 * that takes one; a mistyped command gets one line with the closest command, written with
 * spaces; flags a command has no use for are refused; bash completion completes the
 * space-separated commands and their flags.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, REPO, runCli, tempDir } from '../helpers/cli.js';
import { startCliInPty } from '../helpers/pty.js';

// The built manifest lists every command: the checks below run over all of them, new ones included.
assertBuilt();
const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
const COMMANDS = Object.keys(manifest.commands)
  .map((id) => id.replace(/:/g, ' '))
  .sort();
let work: ReturnType<typeof tempDir>;
const cli = (...args: string[]) => runCli(args, { cwd: work.path });

beforeAll(() => {
  work = tempDir('k8sprep-help-');
});
afterAll(() => work.remove());

/** The lines of one section (`USAGE`, `FLAGS`, ...) of a help text. */
function section(help: string, name: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(name);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^[A-Z][A-Z ]+$/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.trim() !== '');
}

test('the manifest holds every command, so the checks below cover them all', () => {
  const known = [
    'certs check',
    'certs generate',
    'certs hash',
    'certs renew',
    'config init',
    'config schema',
    'config validate',
    'images list',
    'node init',
    'node script',
  ];
  expect(COMMANDS).toEqual(expect.arrayContaining(known));
  expect(COMMANDS.length).toBeGreaterThanOrEqual(known.length);
});

test('`help`, `--help` and `-h` print the root help: topics and the help/autocomplete commands', async () => {
  const results = await Promise.all([cli('help'), cli('--help'), cli('-h')]);
  for (const r of results) expect([r.code, r.stderr]).toEqual([0, '']);
  const [help, long, short] = results.map((r) => r.stdout);
  expect(long).toBe(help);
  expect(short).toBe(help);
  expect(section(help ?? '', 'TOPICS').map((l) => l.trim().split(/\s+/)[0])).toEqual(['certs', 'config', 'images', 'node']);
  expect(section(help ?? '', 'COMMANDS').map((l) => l.trim().split(/\s+/)[0])).toEqual(['autocomplete', 'help']);
});

test('`help node` lists the topic with spaces', async () => {
  const r = await cli('help', 'node');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^ {2}node init {2}/m);
  expect(r.stdout).not.toContain('node:');
});

describe.each(COMMANDS)('%s', (command) => {
  let help = '';
  beforeAll(async () => {
    const r = await cli('help', ...command.split(' '));
    expect([r.code, r.stderr]).toEqual([0, '']);
    help = r.stdout;
  });

  test('--help and -h print the same as `help`', async () => {
    const [long, short] = await Promise.all([cli(...command.split(' '), '--help'), cli(...command.split(' '), '-h')]);
    expect([long.code, long.stdout]).toEqual([0, help]);
    expect([short.code, short.stdout]).toEqual([0, help]);
  });

  test('the usage line lists each flag once, bracketed, with its value name', () => {
    const usage = section(help, 'USAGE').join(' ').replace(/\s+/g, ' ').trim();
    expect(usage.startsWith(`$ k8sprep ${command}`)).toBe(true);
    const items =
      usage
        .slice(`$ k8sprep ${command}`.length)
        .trim()
        .match(/\[[^\]]*\]|\S+/g) ?? [];
    expect(items.length).toBeGreaterThan(0);
    // A required flag (node join/reset's --hosts) is the one item without brackets.
    for (const item of items) expect(item).toMatch(/^\[(-[a-z]|--[a-z-]+)( [A-Z][A-Z.,|_]*| [a-z0-9|-]+)?\]$|^\[?[A-Z]+\]?$|^--hosts$/);
    expect(usage).not.toMatch(/\| \]|\[ | \]|<value>|<option>/);
    expect(usage).toContain('[--no-color]');
  });

  test('every flag that takes a value names it in FLAGS (no <value>)', () => {
    const flags = ['FLAGS', 'SINGLE HOST FLAGS', 'GLOBAL FLAGS'].flatMap((name) => section(help, name)).filter((l) => /^\s+(-\w, )?--/.test(l));
    expect(flags.length).toBeGreaterThan(0);
    for (const line of flags) expect(line).not.toMatch(/=<value>|=<option>/);
  });
});

test('flags that carry a value name it: --concurrency=N, -c FILE, --version X.Y.Z', async () => {
  const r = await cli('node', 'init', '-h');
  expect(r.stdout).toMatch(/^ {6}--concurrency=N /m);
  expect(r.stdout).toMatch(/^ {2}-c, --config=FILE /m);
  expect(r.stdout).toMatch(/^ {2}--version=X\.Y\.Z /m);
});

test('images list offers only what it uses: no --host, --os, --role, --user', async () => {
  const help = (await cli('images', 'list', '-h')).stdout;
  for (const flag of ['--host', '--os', '--role', '--user']) expect(help).not.toContain(flag);
  const r = await cli('images', 'list', '--version', '1.30.6', '--role', 'worker');
  expect([r.code, r.stdout, r.stderr]).toEqual([2, '', '--role: unknown flag (see --help)\n']);
  const ok = await cli('images', 'list', '--version', '1.30.6');
  expect(ok.code).toBe(0);
  // kubeadm's 7 and the default CNI's 3 (calico).
  expect(ok.stdout.split('\n').filter(Boolean)).toHaveLength(10);
});

describe('a command that does not exist', () => {
  test.each([
    [['node', 'jion'], 'node jion', 'node join', 'k8sprep help node'],
    [['node', 'innit'], 'node innit', 'node init', 'k8sprep help node'],
    [['nod', 'init'], 'nod init', 'node init', 'k8sprep help'],
    [['certs', 'chek'], 'certs chek', 'certs check', 'k8sprep help certs'],
    [['help', 'node', 'rset'], 'node rset', 'node reset', 'k8sprep help node'],
    [['images', 'lsit', '--help'], 'images lsit', 'images list', 'k8sprep help images'],
  ])('%j: one line with the closest command, written with spaces; exit 127', async (args, typed, suggestion, help) => {
    const r = await cli(...args);
    expect(r.code).toBe(127);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`"${typed}" is not a k8sprep command: did you mean "${suggestion}"? (${help} lists the commands)\n`);
  });
});

test('a flag where the command belongs: the line, without a suggestion', async () => {
  const r = await cli('--bogus');
  expect([r.code, r.stdout, r.stderr]).toEqual([127, '', '"--bogus" is not a k8sprep command (k8sprep help lists the commands)\n']);
});

test("bash completion (autocomplete) completes the space-separated commands and each command's own flags", async () => {
  const home = join(work.path, 'home');
  const r = await runCli(['autocomplete', 'bash'], { cwd: work.path, home });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('k8sprep autocomplete script bash');
  const functions = join(home, '.cache', 'k8sprep', 'autocomplete', 'functions', 'bash', 'k8sprep.bash');
  const complete = (...words: string[]) => {
    const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _k8sprep_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = spawnSync('bash', ['--norc', '-c', script, 'complete', functions, 'k8sprep', ...words], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    return [...new Set(out.stdout.split('\n').filter(Boolean))].sort();
  };
  expect(complete('node', '')).toEqual(['init', 'join', 'reset', 'script']);
  expect(complete('certs', 'ch')).toEqual(['check']);
  expect(complete('images', 'list', '--')).toEqual(['--config', '--json', '--no-color', '--version']);
});

test('on a terminal, plugin-not-found asks "Did you mean ...?" with the spaced name; no runs nothing (exit 127)', async () => {
  const t = startCliInPty(['node', 'innit'], { cwd: work.path });
  try {
    await t.waitFor(/Did you mean node init\?/, 20_000);
    expect(t.screen()).toContain('node innit is not a k8sprep command.');
    t.type('n\r');
    const r = await t.result;
    expect(r.code).toBe(127);
    expect(r.stdout).not.toMatch(/node:init|node:innit/);
    expect(r.stdout).toContain('Run k8sprep help node for a list of available commands.');
  } finally {
    t.kill();
  }
}, 60_000);
