/**
 * SshTransport against a real OpenSSH sshd on 127.0.0.61:2222: key auth as root,
 * line streaming, exit status, argument quoting, connection reuse, close().
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../../src/errors.js';
import { noPrompts } from '../../src/transport/prompts.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import { authorizedKey, clientHome, makeHost, removeDir, runCaptured, tempDir, TransportPool, writeAuthorizedKeys } from './helpers/fixture.js';
import { requireSshd, TestSshd } from './helpers/sshd.js';
import { isRunning } from '../hosts/proc.js';

const ADDRESS = '127.0.0.61';
const PORT = 2222;

let dir: string;
let home: string;
let key: string;
let sshd: TestSshd;
const pool = new TransportPool();

function transport(opts: Partial<SshTransportOptions> = {}, name = 'node1'): SshTransport {
  const host = makeHost(name, ADDRESS, { port: PORT, identityFile: key });
  return pool.add(new SshTransport(host, { acceptNewHostKeys: false, prompts: noPrompts(), home, env: {}, connectTimeoutMs: 5000, ...opts }));
}

beforeAll(async () => {
  requireSshd();
  dir = tempDir('ssh');
  home = clientHome(dir);
  const keys: string[] = [];
  key = authorizedKey(join(dir, 'client_key'), keys);
  writeAuthorizedKeys(join(dir, 'authorized_keys'), keys);
  sshd = await TestSshd.start({ dir, address: ADDRESS, port: PORT, authorizedKeys: join(dir, 'authorized_keys') });
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[${ADDRESS}]:${PORT} ${sshd.hostKeyPub}\n`);
});

afterEach(() => pool.closeAll());

afterAll(async () => {
  await sshd?.stop();
  removeDir(dir);
});

describe('SshTransport (key auth as root)', () => {
  it('streams stdout and stderr line by line, across chunk boundaries, with the last unterminated line', async () => {
    const t = transport();
    const script = [
      'echo out-1',
      'echo err-1 >&2',
      // A line (and a UTF-8 character) split over two writes with a pause between them.
      "printf 'spl'; sleep 0.3; printf 'it\\n'",
      "printf '\\303'; sleep 0.3; printf '\\251t\\303\\251\\n'",
      "printf 'err-'  >&2; sleep 0.3; printf 'split\\n' >&2",
      'echo out-2',
      "printf 'no-newline-err' >&2",
      "printf 'no-newline-out'",
    ].join('\n');
    const r = await runCaptured(t, script);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual(['out-1', 'split', 'été', 'out-2', 'no-newline-out']);
    expect(r.stderr).toEqual(['err-1', 'err-split', 'no-newline-err']);
  });

  it('keeps blank lines and order within a stream', async () => {
    const r = await runCaptured(transport(), 'printf "a\\n\\nb\\n"; for i in $(seq 1 2000); do echo "line $i"; done');
    expect(r.stdout.slice(0, 3)).toEqual(['a', '', 'b']);
    expect(r.stdout.slice(3)).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`));
  });

  it('resolves with the exit status', async () => {
    const t = transport();
    expect(await t.runScript('exit 7\n', [])).toBe(7);
    expect(await t.runScript('true\n', [])).toBe(0);
    expect(await t.runScript('set -e\nfalse\necho not reached\n', [])).toBe(1);
  });

  it('reports a script killed by a signal as 128 + signal number', async () => {
    expect(await transport().runScript('kill -TERM $$\n', [])).toBe(143);
  });

  it('passes arguments quoted, never interpreted by the remote shell', async () => {
    const marker = '/tmp/k8sprep-pwned-transport';
    rmSync(marker, { force: true });
    const args = [`$(touch ${marker})`, "it's; `touch " + marker + '`', 'two  spaces', '', '*', 'run-1'];
    const r = await runCaptured(transport(), 'printf "%s\\n" "$#"; for a in "$@"; do printf "[%s]\\n" "$a"; done', args);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual([String(args.length), ...args.map((a) => `[${a}]`)]);
    expect(existsSync(marker)).toBe(false);
  });

  it('sends large scripts intact on stdin', async () => {
    const body = Array.from({ length: 5000 }, (_, i) => `# padding line ${i} ${'x'.repeat(60)}`).join('\n');
    const r = await runCaptured(transport(), `${body}\necho "$(( 6 * 7 ))"\n`);
    expect(r.stdout).toEqual(['42']);
  });

  it('reuses one connection for every script', async () => {
    const t = transport();
    const accepted = () =>
      sshd
        .log()
        .split('\n')
        .filter((l) => l.includes('Accepted publickey')).length;
    const before = accepted();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runCaptured(t, 'echo "$SSH_CONNECTION"');
      seen.push(r.stdout[0] ?? '');
    }
    // Concurrent sessions share it too.
    const parallel = await Promise.all([1, 2].map(() => runCaptured(t, 'echo "$SSH_CONNECTION"')));
    seen.push(...parallel.map((r) => r.stdout[0] ?? ''));
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ ${ADDRESS.replace(/\./g, '\\.')} ${PORT}$`));
    expect(accepted() - before).toBe(1);
  });

  it('connect() is idempotent and close() ends the connection, more than once', async () => {
    const t = transport();
    await Promise.all([t.connect(), t.connect()]);
    await t.connect();
    await t.close();
    await t.close();
    await expect(t.runScript('true\n', [])).rejects.toThrow(TransportError);
  });

  it('close() stops a running script (and what it runs) and rejects it', async () => {
    const t = transport();
    const pids: number[] = [];
    let started: () => void = () => undefined;
    const isStarted = new Promise<void>((r) => (started = r));
    // Silent after its first lines: only a signal can end it before the sleep does.
    const run = t.runScript('echo "$$"\nsleep 300 &\necho "$!"\nwait\n', [], {
      onStdoutLine: (l) => {
        pids.push(Number(l));
        if (pids.length === 2) started();
      },
    });
    const outcome = run.then(
      () => 'resolved',
      (err: Error) => err,
    );
    await isStarted;
    expect(pids.map(isRunning)).toEqual([true, true]);
    await t.close();
    const err = await outcome;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/ended by k8sprep while running/);
    // The script's whole process group got TERM (bash -s and its sleep).
    for (let i = 0; i < 250 && pids.some(isRunning); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pids.map(isRunning)).toEqual([false, false]);
  });
});
