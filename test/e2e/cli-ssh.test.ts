/**
 * The CLI over SSH end to end on test hosts (the transport tests cover the same paths one
 * connection at a time; these go through `node init --prep-only` as an operator runs it):
 * - non-root users with sudo (NOPASSWD, and password sudo through passwordEnv) run the
 *   whole preparation, with root-owned results and the password in no log;
 * - a host whose sshd is stopped mid-run is reported failed (exit 1) while the others finish;
 * - an unknown host key is refused without --accept-new-host-keys and recorded with it;
 *   a changed one is refused with and without it, the message showing both fingerprints.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostReport } from '../../src/run/report.js';
import { runCli, startCli } from '../helpers/cli.js';
import { useTestHosts } from '../helpers/e2e.js';
import type { TestFleet, TestHost } from '../hosts/index.js';
import { runOk } from '../hosts/proc.js';

const VERSION = '1.34.2';
const PASSWORD_ENV = 'K8SPREP_TEST_SUDO_PW';
/** What a bare host already has in the state prep wants (see test/e2e/prep.test.ts). */
const UNCHANGED_ON_BARE = { centos7: ['preflight', 'os-release', 'time-sync'], arch: ['preflight', 'os-release', 'firewall'] };

interface Summary {
  ok: boolean;
  hosts: HostReport[];
}

const rig = useTestHosts(
  [
    { name: 'cs1', os: 'centos7' },
    { name: 'cs2', os: 'arch' },
    { name: 'cs3', os: 'centos7', sudo: 'password' },
  ],
  {
    // cs1 as root; cs2 as admin with NOPASSWD sudo; cs3 as admin whose sudo wants the password.
    clusterYaml: (fleet) =>
      fleet.clusterYaml({ version: VERSION, hosts: { cs2: { ssh: { user: 'admin' } }, cs3: { ssh: { user: 'admin', passwordEnv: PASSWORD_ENV } } } }),
  },
);
let fleet: TestFleet;
let work: string;
let clusterFile: string;
beforeAll(() => ({ fleet, dir: work, clusterFile } = rig));

const env = () => ({ [PASSWORD_ENV]: fleet.password });

async function prep(extra: string[] = [], home = fleet.home): Promise<{ code: number | null; summary: Summary; stderr: string }> {
  const r = await runCli(['node', 'init', '--prep-only', '--json', '-c', clusterFile, ...extra], { cwd: work, home, env: env() });
  try {
    return { code: r.code, summary: JSON.parse(r.stdout) as Summary, stderr: r.stderr };
  } catch {
    throw new Error(`no JSON summary (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

function report(summary: Summary, host: string): HostReport {
  const r = summary.hosts.find((h) => h.host === host);
  if (!r) throw new Error(`no report for ${host}`);
  return r;
}

const statuses = (r: HostReport) => Object.fromEntries(r.steps.map((s) => [s.id, s.status]));

describe('non-root users with sudo', () => {
  test('NOPASSWD (cs2) and password sudo through passwordEnv (cs3) run the whole preparation', async () => {
    const { code, summary } = await prep();
    expect([code, summary.ok]).toEqual([0, true]);
    for (const host of fleet.hosts) {
      const r = report(summary, host.name);
      const unchanged: string[] = UNCHANGED_ON_BARE[host.os];
      const want = Object.fromEntries(r.steps.map((s) => [s.id, unchanged.includes(s.id) ? 'unchanged' : 'changed']));
      expect([host.name, r.status, statuses(r)]).toEqual([host.name, 'ok', want]);
    }
    // The same steps as root on the same OS.
    expect(Object.keys(statuses(report(summary, 'cs3')))).toEqual(Object.keys(statuses(report(summary, 'cs1'))));
    for (const name of ['cs2', 'cs3']) {
      const host = fleet.host(name);
      for (const path of ['/etc/sysctl.d/99-k8s.conf', '/etc/modules-load.d/k8s.conf', '/etc/containerd/config.toml']) {
        const st = await host.stat(path);
        expect([name, path, st.uid, st.gid, st.mode & 0o777]).toEqual([name, path, 0, 0, 0o644]);
      }
      expect((await host.exec(['kubeadm', 'version', '-o', 'short'])).stdout).toBe(`v${VERSION}\n`);
      // The sudo password reaches sudo on stdin, never a log.
      const log = readFileSync(report(summary, name).logPath, 'utf8');
      expect(log).not.toContain(fleet.password);
    }
  }, 600_000);
});

describe('a host whose sshd stops mid-run', () => {
  test('is reported failed with the lost connection, exit 1; the other hosts finish', async () => {
    const cs2 = fleet.host('cs2');
    // The swap step's check asks swapon: cs2 waits there until its sshd is gone.
    const block = await cs2.block('swapon');
    const cli = startCli(['node', 'init', '--prep-only', '--json', '-c', clusterFile], { cwd: work, home: fleet.home, env: env() });
    try {
      await block.waitUntilBlocked(120_000);
      await cs2.stopSshd();
    } finally {
      await block.release().catch(() => undefined);
    }
    const r = await cli.result;
    const summary = JSON.parse(r.stdout) as Summary;
    expect([r.code, summary.ok]).toEqual([1, false]);
    const failed = report(summary, 'cs2');
    expect([failed.status, failed.failedStep]).toEqual(['failed', 'swap']);
    expect(failed.error).toMatch(/^connection to cs2 \(127\.[\d.]+:22\) lost while running phase prep/);
    const after = failed.steps.filter((s) => s.phase === 'prep' && s.id !== 'os-release' && s.id !== 'hostname' && s.id !== 'swap');
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 'not-run')).toEqual([]);
    for (const name of ['cs1', 'cs3']) {
      const ok = report(summary, name);
      expect([name, ok.status, ok.failed, ok.steps.length > 0, ok.steps.filter((s) => s.status !== 'unchanged')]).toEqual([name, 'ok', 0, true, []]);
    }

    // Back up, cs2 takes the next run.
    await cs2.startSshd();
    const again = await prep(['--hosts', 'cs2', '--only', 'swap']);
    expect([again.code, report(again.summary, 'cs2').status]).toEqual([0, 'ok']);
  }, 600_000);
});

describe('host keys', () => {
  let home: string;
  let cs1: TestHost;
  const knownHosts = () => join(home, '.ssh', 'known_hosts');

  /** ssh-keygen's SHA256 fingerprint of a public key line's key. */
  async function fingerprintOf(keyLine: string): Promise<string> {
    const file = join(work, `fp-${readdirSync(work).length}.pub`);
    writeFileSync(file, `${keyLine.split(' ').slice(-2).join(' ')}\n`);
    return (await runOk('ssh-keygen', ['-l', '-E', 'sha256', '-f', file])).split(/\s+/)[1] ?? '';
  }

  beforeAll(() => {
    cs1 = fleet.host('cs1');
    // The fleet's key, and a known_hosts without cs1.
    home = join(work, 'keys-home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    for (const f of ['id_ed25519', 'id_ed25519.pub']) copyFileSync(join(fleet.home, '.ssh', f), join(home, '.ssh', f));
    writeFileSync(
      knownHosts(),
      fleet.hosts
        .filter((h) => h !== cs1)
        .map((h) => `${h.hostKeyLine}\n`)
        .join(''),
      { mode: 0o600 },
    );
  });

  const onlyCs1 = ['--hosts', 'cs1', '--only', 'swap'];

  test('unknown: refused without --accept-new-host-keys (nothing recorded, nothing run), recorded with it', async () => {
    const before = readFileSync(knownHosts(), 'utf8');
    const calls = (await cs1.calls()).length;
    const refused = await prep(onlyCs1, home);
    const fp = await fingerprintOf(cs1.hostKeyLine);
    expect(refused.code).toBe(1);
    const r = report(refused.summary, 'cs1');
    expect(r.status).toBe('failed');
    expect(r.error).toContain(`unknown host key for cs1 (${cs1.address}:22): ssh-ed25519 ${fp} is not in ${knownHosts()}`);
    expect(r.error).toContain('rerun with --accept-new-host-keys to trust and record it');
    expect(readFileSync(knownHosts(), 'utf8')).toBe(before);
    expect((await cs1.calls()).length).toBe(calls);

    const accepted = await prep([...onlyCs1, '--accept-new-host-keys'], home);
    expect([accepted.code, report(accepted.summary, 'cs1').status]).toEqual([0, 'ok']);
    expect(readFileSync(knownHosts(), 'utf8')).toBe(`${before}${cs1.hostKeyLine}\n`);
    // Recorded: the next run needs no flag.
    expect((await prep(onlyCs1, home)).code).toBe(0);
  }, 300_000);

  test('changed: refused with and without --accept-new-host-keys, showing the offered and the recorded fingerprint', async () => {
    const impostor = join(work, 'impostor');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', impostor]);
    const recordedKey = readFileSync(`${impostor}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const others = fleet.hosts
      .filter((h) => h !== cs1)
      .map((h) => `${h.hostKeyLine}\n`)
      .join('');
    writeFileSync(knownHosts(), `${others}${cs1.address} ${recordedKey}\n`, { mode: 0o600 });
    const before = readFileSync(knownHosts(), 'utf8');
    const offered = await fingerprintOf(cs1.hostKeyLine);
    const recorded = await fingerprintOf(recordedKey);
    const calls = (await cs1.calls()).length;
    for (const extra of [[], ['--accept-new-host-keys']]) {
      const { code, summary } = await prep([...onlyCs1, ...extra], home);
      expect([extra, code]).toEqual([extra, 1]);
      const error = report(summary, 'cs1').error ?? '';
      expect(error).toContain(
        `HOST KEY CHANGED for cs1 (${cs1.address}:22): it offered ssh-ed25519 ${offered}, but known_hosts expects ssh-ed25519 ${recorded} (${knownHosts()} line 3)`,
      );
      expect(error).toContain('--accept-new-host-keys never accepts a changed key');
      expect(readFileSync(knownHosts(), 'utf8')).toBe(before);
    }
    expect((await cs1.calls()).length).toBe(calls);
  }, 300_000);
});
