/**
 * LocalTransport: the same `bash -s -- args` contract as SSH, run here with execa. The
 * non-root paths run against a stand-in `sudo` on PATH that behaves like sudo's -n / -S
 * (the tests must not depend on, or change, this machine's sudoers).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../../src/errors.js';
import { createTransport } from '../../src/transport/index.js';
import { LocalTransport } from '../../src/transport/local.js';
import { noPrompts } from '../../src/transport/prompts.js';
import { makeHost, removeDir, runCaptured, tempDir, TransportPool } from './helpers/fixture.js';

const pool = new TransportPool();
let dir: string;

beforeAll(() => {
  dir = tempDir('local');
});
afterEach(() => pool.closeAll());
afterAll(() => removeDir(dir));

const local = (opts: ConstructorParameters<typeof LocalTransport>[1] = {}, passwordEnv?: string) =>
  pool.add(new LocalTransport(makeHost('here', 'local', passwordEnv ? { passwordEnv } : {}), opts));

describe('LocalTransport as root', () => {
  it('is what createTransport picks for address: local', () => {
    expect(createTransport(makeHost('here', 'local'), { acceptNewHostKeys: false, prompts: noPrompts() })).toBeInstanceOf(LocalTransport);
  });

  it('streams lines (split writes, last line without newline) and returns the exit status', async () => {
    const r = await runCaptured(
      local({ root: true }),
      "echo out-1\necho err-1 >&2\nprintf 'spl'; sleep 0.2; printf 'it\\n'\nprintf '\\303'; sleep 0.2; printf '\\251\\n'\nprintf 'tail-err' >&2\nprintf 'tail-out'\nexit 7\n",
    );
    expect(r.code).toBe(7);
    expect(r.stdout).toEqual(['out-1', 'split', 'é', 'tail-out']);
    expect(r.stderr).toEqual(['err-1', 'tail-err']);
  });

  it('passes arguments quoted, never interpreted', async () => {
    const marker = '/tmp/k8sprep-pwned-transport';
    rmSync(marker, { force: true });
    const args = [`$(touch ${marker})`, "it's `touch " + marker + '`', 'a  b', ''];
    const r = await runCaptured(local({ root: true }), 'for a in "$@"; do printf "[%s]\\n" "$a"; done', args);
    expect(r.stdout).toEqual(args.map((a) => `[${a}]`));
    expect(existsSync(marker)).toBe(false);
  });

  it('does not fail when the script exits before reading all of stdin', async () => {
    const big = `exit 3\n${'# filler\n'.repeat(200_000)}`;
    expect(await local({ root: true }).runScript(big, [])).toBe(3);
  });

  it('reports a signal as 128 + its number', async () => {
    expect(await local({ root: true }).runScript('kill -KILL $$\n', [])).toBe(137);
  });

  it('close() ends a running script; runScript afterwards fails', async () => {
    const t = local({ root: true });
    let started: () => void = () => undefined;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    const outcome = t.runScript('echo started\nexec sleep 30\n', [], { onStdoutLine: () => started() }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await isStarted;
    await t.close();
    await t.close();
    const err = await outcome;
    expect(err).toBeInstanceOf(TransportError);
    await expect(t.runScript('true\n', [])).rejects.toThrow(TransportError);
  });
});

describe('LocalTransport when not root (stand-in sudo)', () => {
  let bin: string;
  let log: string;
  const PASSWORD = 's3cret pass';

  beforeAll(() => {
    bin = join(dir, 'bin');
    log = join(dir, 'sudo.log');
    mkdirSync(bin, { recursive: true });
    // Like sudo: -n fails unless NOPASSWD; -S reads one line from stdin, byte by byte.
    writeFileSync(
      join(bin, 'sudo'),
      [
        '#!/bin/bash',
        'printf "%s\\n" "$*" >> "$FAKE_SUDO_LOG"',
        'if [ "$1" = -n ]; then',
        '  shift',
        '  [ "$FAKE_SUDO_MODE" = nopasswd ] && exec "$@"',
        '  echo "sudo: a password is required" >&2; exit 1',
        'fi',
        'if [ "$1" = -S ]; then',
        '  shift 3',
        '  IFS= read -r pw',
        '  [ "$pw" = "$FAKE_SUDO_PASSWORD" ] && exec "$@"',
        '  echo "Sorry, try again." >&2; echo "sudo: 3 incorrect password attempts" >&2; exit 1',
        'fi',
        'exit 99',
      ].join('\n'),
    );
    chmodSync(join(bin, 'sudo'), 0o755);
  });

  beforeEach(() => rmSync(log, { force: true }));

  const env = (mode: 'nopasswd' | 'password', password?: string): NodeJS.ProcessEnv => ({
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    FAKE_SUDO_LOG: log,
    FAKE_SUDO_MODE: mode,
    FAKE_SUDO_PASSWORD: PASSWORD,
    ...(password === undefined ? {} : { K8SPREP_TEST_PW: password }),
  });
  const sudoCalls = () => readFileSync(log, 'utf8').trim().split('\n');

  it('runs `sudo -n bash -s -- args` without a password', async () => {
    const r = await runCaptured(local({ root: false, env: env('nopasswd') }), 'echo "as $1"', ['x y']);
    expect(r.stdout).toEqual(['as x y']);
    expect(sudoCalls()).toEqual(['-n bash -s -- x y']);
  });

  it('fails clearly when sudo wants a password and none is configured', async () => {
    const err = await local({ root: false, env: env('password') })
      .runScript('echo hi\n', [])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/^sudo on here \(local\) needs a password for user .*: set ssh\.passwordEnv .* or pass --ask-pass/);
  });

  it('sends the password on stdin to sudo -S, never on a command line, and the script runs whole', async () => {
    const r = await runCaptured(local({ root: false, env: env('password', PASSWORD) }, 'K8SPREP_TEST_PW'), 'echo first-line\necho "arg=$1"\n', ['v']);
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toEqual(['first-line', 'arg=v']);
    expect(sudoCalls()).toEqual(['-n true', '-S -p  bash -s -- v']);
    expect(readFileSync(log, 'utf8')).not.toContain(PASSWORD);
  });

  it('with NOPASSWD sudo, swallows the password line instead of executing it', async () => {
    const r = await runCaptured(local({ root: false, env: env('nopasswd', PASSWORD) }, 'K8SPREP_TEST_PW'), 'echo only-this\n');
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toEqual(['only-this']);
    expect(sudoCalls()).toEqual(['-n true', '-n bash -s --']);
  });

  it('says sudo rejected the password, naming where it came from but not the password', async () => {
    const err = await local({ root: false, env: env('password', 'not-it') }, 'K8SPREP_TEST_PW')
      .runScript('echo hi\n', [])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/^sudo on here \(local\) rejected the password for user .* \(from \$K8SPREP_TEST_PW\)$/);
    expect((err as Error).message).not.toContain('not-it');
  });

  it('uses the --ask-pass answer when the variable is not set', async () => {
    const r = await runCaptured(local({ root: false, env: env('password'), prompts: noPrompts({ password: PASSWORD }) }), 'echo asked\n');
    expect(r.stdout).toEqual(['asked']);
  });
});
