/**
 * SshTransport on the project's test hosts (test/hosts): sshd on port 22 inside each
 * host's namespaces, the `admin` user with NOPASSWD or password sudo, the fleet's
 * known_hosts and default key. The same paths as ssh-sudo.test.ts, on "real" machines.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../../src/errors.js';
import { createTransport } from '../../src/transport/index.js';
import { noPrompts } from '../../src/transport/prompts.js';
import type { Transport } from '../../src/transport/types.js';
import { startTestHosts, type TestFleet, type TestHost } from '../hosts/index.js';
import { makeHost, removeDir, runCaptured, tempDir, TransportPool } from './helpers/fixture.js';

let fleet: TestFleet;
let nopw: TestHost;
let pw: TestHost;
let keylessHome: string;
const pool = new TransportPool();

/**
 * stderr without sudo's complaint that the host's own name does not resolve (the test
 * hosts' /etc/hosts lacks it until k8sprep's etc-hosts step runs): what is left must be empty,
 * in particular no "command not found" from a password line run as a command.
 */
function ownStderr(lines: readonly string[]): string[] {
  return lines.filter((l) => !/^sudo: unable to resolve host /.test(l));
}

function transport(
  target: TestHost,
  user: string,
  opts: { passwordEnv?: string; env?: NodeJS.ProcessEnv; home?: string; keepaliveIntervalMs?: number } = {},
): Transport {
  const host = makeHost(target.name, target.address, { user, ...(opts.passwordEnv ? { passwordEnv: opts.passwordEnv } : {}) });
  return pool.add(
    createTransport(host, {
      acceptNewHostKeys: false,
      prompts: noPrompts(),
      home: opts.home ?? fleet.home,
      env: opts.env ?? {},
      connectTimeoutMs: 8000,
      ...(opts.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: opts.keepaliveIntervalMs } : {}),
    }),
  );
}

beforeAll(async () => {
  fleet = await startTestHosts([
    { name: 'tr-nopw', os: 'centos7' },
    { name: 'tr-pw', os: 'arch', sudo: 'password' },
  ]);
  [nopw, pw] = fleet.hosts as [TestHost, TestHost];
  // A HOME that trusts the hosts but has no key: only the password can log in.
  keylessHome = tempDir('testhosts');
  mkdirSync(join(keylessHome, '.ssh'), { mode: 0o700 });
  copyFileSync(join(fleet.home, '.ssh', 'known_hosts'), join(keylessHome, '.ssh', 'known_hosts'));
});

afterEach(() => pool.closeAll());

afterAll(async () => {
  await fleet?.stop();
  removeDir(keylessHome);
});

it('root on port 22 with the default key and a plain known_hosts entry', async () => {
  const r = await runCaptured(transport(nopw, 'root'), '. /etc/os-release; echo "$ID $(id -u) $(hostname)"');
  expect(r.stdout).toEqual(['centos 0 tr-nopw']);
});

it('admin with NOPASSWD sudo runs the script as root', async () => {
  const r = await runCaptured(transport(nopw, 'admin'), 'id -u; printf "%s\\n" "$@"', ['a b', '$(id)']);
  expect(r.stdout).toEqual(['0', 'a b', '$(id)']);
});

it('admin with NOPASSWD sudo and a password configured: the password line is not executed', async () => {
  const t = transport(nopw, 'admin', { passwordEnv: 'K8SPREP_TEST_PW', env: { K8SPREP_TEST_PW: fleet.password } });
  const r = await runCaptured(t, 'echo first\nid -u\n');
  expect(r).toMatchObject({ code: 0, stdout: ['first', '0'] });
  expect(ownStderr(r.stderr)).toEqual([]);
});

it('admin whose sudo needs a password, without one: a clear error', async () => {
  const err = await transport(pw, 'admin')
    .runScript('id -u\n', [])
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(TransportError);
  expect((err as Error).message).toMatch(/^sudo on tr-pw needs a password for user admin: set ssh\.passwordEnv .* or pass --ask-pass/);
});

it('admin whose sudo needs a password, with passwordEnv: sudo -S on stdin', async () => {
  const t = transport(pw, 'admin', { passwordEnv: 'K8SPREP_TEST_PW', env: { K8SPREP_TEST_PW: fleet.password } });
  const r = await runCaptured(t, 'echo first\n. /etc/os-release; echo "$ID $(id -u)"\n');
  expect(r).toMatchObject({ code: 0, stdout: ['first', 'arch 0'] });
  expect(ownStderr(r.stderr)).toEqual([]);
});

it('admin logs in with the password alone and uses it for sudo', async () => {
  const t = transport(pw, 'admin', { passwordEnv: 'K8SPREP_TEST_PW', env: { K8SPREP_TEST_PW: fleet.password }, home: keylessHome });
  expect((await runCaptured(t, 'id -u')).stdout).toEqual(['0']);
});

it('a host whose sshd dies mid-script fails that run with TransportError, from the closed connection', async () => {
  // No keepalives: only the connection closing can end this run (the script sleeps past the
  // test's timeout), so a run that ends at all proves the loss was noticed from the close.
  const t = transport(nopw, 'root', { keepaliveIntervalMs: 0 });
  let started: () => void = () => undefined;
  const isStarted = new Promise<void>((resolve) => (started = resolve));
  const outcome = t.runScript('echo started\nsleep 600\n', [], { onStdoutLine: () => started() }).then(
    () => 'resolved',
    (e: unknown) => e,
  );
  await isStarted;
  // The harness kills sshd and the host's sessions; whether it then reports stragglers is its own business.
  const stopped = nopw.stopSshd().catch((e: unknown) => e);
  const err = await outcome;
  expect(err).toBeInstanceOf(TransportError);
  expect((err as Error).message).toMatch(/^connection to tr-nopw \(127\.[\d.]+:22\) lost while running a 2-line script/);
  await stopped;
});
