/**
 * Ctrl-C during `node init --prep-only` over SSH on test hosts: with both hosts blocked
 * inside the swap step (their `swapoff` stand-in waits, writing nothing, so only a signal
 * can end it), SIGINT to the CLI prints one line, ends both scripts for real (the blocked
 * stand-in's process is gone from the host, no later step ran), still writes the logs and
 * the summary, and exits 130. The hosts are fine afterwards: a new run prepares them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostReport } from '../../src/run/report.js';
import { runCli, startCli } from '../helpers/cli.js';
import { useTestHosts } from '../helpers/e2e.js';
import type { TestHost } from '../hosts/index.js';

// Arch's repo has 1.34.2 (the harness default): no release binaries to fetch.
const VERSION = '1.34.2';
const BLOCK_DIR = '/var/lib/k8sprep-testhost/block';

const rig = useTestHosts(
  [
    { name: 'int1', os: 'centos7' },
    { name: 'int2', os: 'arch' },
  ],
  { clusterYaml: (fleet) => fleet.clusterYaml({ version: VERSION }) },
);

/** Whether PID (in the host's own PID namespace) is a live process there. */
async function runningInHost(host: TestHost, pid: number): Promise<boolean> {
  const r = await host.exec(['sh', '-c', `s=$(cat /proc/${pid}/stat 2>/dev/null) || exit 1; case "$s" in *") Z "*) exit 1;; esac`]);
  return r.code === 0;
}

async function waitFor(what: string, test: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (await test()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('SIGINT with both hosts blocked mid-step: one line, scripts ended on the hosts, logs and summary, exit 130', async () => {
  const { fleet, clusterFile, dir } = rig;
  const blocks = await Promise.all(fleet.hosts.map((h) => h.block('swapoff')));
  const cli = startCli(['node', 'init', '--prep-only', '--json', '-c', clusterFile], { cwd: dir, home: fleet.home });
  try {
    await Promise.all(blocks.map((b) => b.waitUntilBlocked(120_000)));
  } catch (err) {
    cli.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\nCLI stderr so far:\n${cli.stderr()}`, { cause: err });
  }
  const blockedPids = await Promise.all(fleet.hosts.map(async (h) => Number((await h.readFile(`${BLOCK_DIR}/swapoff.waiting`)).trim())));
  for (const [i, h] of fleet.hosts.entries()) expect([h.name, await runningInHost(h, blockedPids[i]!)]).toEqual([h.name, true]);

  cli.child.kill('SIGINT');
  const r = await cli.result;

  expect(r.code).toBe(130);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toEqual([
    expect.stringMatching(
      /^interrupted \(Ctrl-C\): ending the scripts still running \(Ctrl-C again quits at once\); the summary follows \(logs: .*\.k8sprep\/test\/logs\/[^/]+\)$/,
    ),
  ]);

  const summary = JSON.parse(r.stdout) as { ok: boolean; hosts: HostReport[] };
  expect(summary.ok).toBe(false);
  for (const report of summary.hosts) {
    expect([report.host, report.status, report.failedStep, report.error]).toEqual([report.host, 'failed', 'swap', 'interrupted (Ctrl-C) during step swap']);
    const after = report.steps.slice(report.steps.findIndex((s) => s.id === 'swap') + 1);
    expect(after.length).toBeGreaterThan(0);
    expect([report.host, after.filter((s) => s.status !== 'not-run')]).toEqual([report.host, []]);
    // The log was written and closed with the outcome.
    const log = readFileSync(report.logPath, 'utf8');
    expect(log).toContain('::k8sprep:: swap begin');
    expect(log).toMatch(/failed: interrupted \(Ctrl-C\) during step swap/);
    expect(log).toMatch(/finished: failed\n$/);
  }

  for (const [i, host] of fleet.hosts.entries()) {
    // The block was never released: only the TERM k8sprep had sshd send could end it.
    expect(await host.exists(`${BLOCK_DIR}/swapoff`)).toBe(true);
    await waitFor(`${host.name}: the blocked swapoff (pid ${blockedPids[i]}) to end`, async () => !(await runningInHost(host, blockedPids[i]!)));
    const ps = await host.exec(['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " <"$p/cmdline" 2>/dev/null; echo; done']);
    expect([host.name, ps.stdout.split('\n').filter((l) => /bash -s|swapoff/.test(l))]).toEqual([host.name, []]);
    // Nothing after the swap step ran.
    const calls = await host.calls();
    const names = calls.map((c) => c[0]);
    expect([host.name, names.slice(names.lastIndexOf('swapoff') + 1)]).toEqual([host.name, []]);
    expect([host.name, names.includes('modprobe')]).toEqual([host.name, false]);
  }

  // No host left broken: released, a new run does the interrupted step on both.
  await Promise.all(blocks.map((b) => b.release()));
  const again = await runCli(['node', 'init', '--prep-only', '--json', '--only', 'swap', '-c', clusterFile], { cwd: dir, home: fleet.home });
  const second = JSON.parse(again.stdout) as { ok: boolean; hosts: HostReport[] };
  expect([again.code, second.ok]).toEqual([0, true]);
  for (const report of second.hosts) {
    expect([report.host, report.status, Object.fromEntries(report.steps.map((s) => [s.id, s.status]))]).toEqual([
      report.host,
      'ok',
      { 'os-release': 'unchanged', swap: 'changed' },
    ]);
  }
  expect(existsSync(join(dir, '.k8sprep', 'test', 'logs'))).toBe(true);
}, 600_000);
