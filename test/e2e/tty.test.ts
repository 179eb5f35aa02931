/**
 * `node init` on a real terminal (a pseudo-terminal from util-linux `script`) against test
 * hosts. listr2's live renderer takes over the terminal's output while its task list runs,
 * so every question must be asked before it starts, and --verbose must stream host lines
 * as they come rather than when the list ends:
 * - an encrypted identityFile: its passphrase is asked once for two hosts, before any host
 *   output, and the run goes on once it is typed;
 * - --verbose: a host's lines are on the screen while that host is still blocked mid-step;
 * - --ask-pass (the live renderer, no --verbose): asked once, before anything is contacted,
 *   and used to log in and for sudo.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestHosts } from '../helpers/e2e.js';
import { type PtyCli, startCliInPty } from '../helpers/pty.js';
import type { TestFleet } from '../hosts/index.js';
import { runOk } from '../hosts/proc.js';

const VERSION = '1.34.2';
const PASSPHRASE = 'correct horse battery';

const rig = useTestHosts([
  { name: 'tty1', os: 'centos7' },
  { name: 'tty2', os: 'arch', sudo: 'password' },
]);
let fleet: TestFleet;
let work: string;
/** A HOME that trusts the hosts and holds only an encrypted copy of the fleet's key (not at a default path). */
let home: string;
let encryptedKey: string;
/** The test's terminal, ended after the test should it still run (a test that failed halfway). */
let cli: PtyCli | undefined;
afterEach(() => cli?.kill());

beforeAll(async () => {
  ({ fleet, dir: work } = rig);
  home = join(work, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  copyFileSync(join(fleet.home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts'));
  encryptedKey = join(home, '.ssh', 'k8sprep-key');
  copyFileSync(join(fleet.home, '.ssh', 'id_ed25519'), encryptedKey);
  await runOk('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASSPHRASE, '-f', encryptedKey]);
}, 120_000);

function clusterFile(name: string, yaml: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

test('the identityFile passphrase is asked once, before the task list; --verbose lines stream while a host is blocked', async () => {
  const file = clusterFile('key', fleet.clusterYaml({ version: VERSION, spec: { ssh: { identityFile: encryptedKey } } }));
  const block = await fleet.host('tty1').block('swapoff');
  cli = startCliInPty(['node', 'init', '--prep-only', '--verbose', '--only', 'swap', '-c', file], { cwd: work, home });
  try {
    await cli.waitFor(/Passphrase for \S*k8sprep-key:/);
    // Asked before any host ran anything.
    expect(cli.screen()).not.toMatch(/tty[12][|!] /);
    cli.type(`${PASSPHRASE}\r`);

    await block.waitUntilBlocked(120_000).catch((err: Error) => {
      throw new Error(`${err.message}; the terminal showed:\n${cli?.screen() ?? ''}`);
    });
    // tty1 is blocked inside its swap step: its lines so far are already on the screen.
    await cli.waitFor(/^tty1\| ::k8sprep:: swap begin$/m);
    expect(await fleet.host('tty1').exists('/var/lib/k8sprep-testhost/block/swapoff.waiting')).toBe(true);
  } finally {
    await block.release();
  }
  const r = await cli.result;
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^tty1\| ::k8sprep:: swap changed$/m);
  expect(r.stdout).toMatch(/2 of 2 hosts succeeded/);
  // Once for both hosts: nothing after the first host line asks again.
  expect(r.stdout.slice(r.stdout.search(/^tty[12][|!] /m))).not.toContain('Passphrase for');
}, 300_000);

test('--ask-pass under the live renderer: asked once before anything is contacted, used for the login and for sudo', async () => {
  // admin, no usable key in HOME: the password logs in, and sudo (password required on tty2) gets it too.
  const yaml = fleet.clusterYaml({ version: VERSION, only: ['tty2'], spec: { ssh: { user: 'admin' } }, hosts: { tty2: { roles: ['control-plane'] } } });
  const file = clusterFile('askpass', yaml);
  const before = (await fleet.host('tty2').calls()).length;
  cli = startCliInPty(['node', 'init', '--prep-only', '--ask-pass', '--only', 'swap', '-c', file], { cwd: work, home });
  await cli.waitFor(/SSH\/sudo password:/);
  expect(cli.screen()).not.toContain('connecting to');
  // Nothing reached the host before the answer.
  expect((await fleet.host('tty2').calls()).length).toBe(before);
  cli.type(`${fleet.password}\r`);
  const r = await cli.result;
  expect([r.code, r.stdout]).toEqual([0, expect.stringMatching(/1 of 1 host succeeded/)]);
  expect(r.stdout.slice(r.stdout.indexOf('connecting to'))).not.toContain('SSH/sudo password');
  // The steps ran (as root, through password sudo): swap was already off from the test above.
  expect(r.stdout).toMatch(/^tty2\s+arch\s+ok\s+\d+\s+\d+\s+0\s/m);
  expect((await fleet.host('tty2').calls()).slice(before).map((c) => c[0])).toContain('swapon');
}, 300_000);

test('Ctrl-C at the passphrase question ends the run there: one line, exit 130, no host touched', async () => {
  const file = clusterFile('cancel', fleet.clusterYaml({ version: VERSION, spec: { ssh: { identityFile: encryptedKey } } }));
  const before = await Promise.all(fleet.hosts.map(async (h) => (await h.calls()).length));
  cli = startCliInPty(['node', 'init', '--prep-only', '--only', 'swap', '-c', file], { cwd: work, home });
  await cli.waitFor(/Passphrase for \S*k8sprep-key:/);
  // The terminal is raw while the question is asked: Ctrl-C arrives as a key, not as SIGINT.
  cli.type('\u0003');
  const r = await cli.result;
  expect(r.code).toBe(130);
  expect(r.stdout.match(/^interrupted \(Ctrl-C\).*$/gm)).toHaveLength(1);
  expect(await Promise.all(fleet.hosts.map(async (h) => (await h.calls()).length))).toEqual(before);
}, 300_000);

test('--no-color: the live task list draws no colours (listr2 reads it too); without it, it does', async () => {
  const file = clusterFile('colour', fleet.clusterYaml({ version: VERSION, only: ['tty1'] }));
  const sgr = /\u001b\[[0-9;]*m/;
  const draw = async (extra: string[]) => {
    cli = startCliInPty(['node', 'init', '--prep-only', '--only', 'swap', '-c', file, ...extra], { cwd: work, home: fleet.home });
    const r = await cli.result;
    expect([r.code, r.stdout]).toEqual([0, expect.stringMatching(/1 of 1 host succeeded/)]);
    return cli.raw();
  };
  expect(await draw([])).toMatch(sgr);
  expect(await draw(['--no-color'])).not.toMatch(sgr);
}, 300_000);
