/**
 * Fan-out benchmark (issue 2): the prep pipeline (`node init --prep-only`: preflight, then
 * the preparation steps) on 1, 10 and 30 test hosts, three ways, plus a reference:
 *   k8sprep   the real CLI over its ssh2 transport
 *   ssh       k8sprep's dry-run scripts over `ssh HOST bash -s`, all hosts at once (xargs -P)
 *   ansible   ansible-playbook running the same steps as tasks (fanout-ansible.ts)
 *   floor     the same scripts run inside the hosts without SSH: what the steps themselves
 *             cost here (every stand-in, yum to sysctl, is a bash script), so the rest of
 *             each contender's time is its own overhead
 *
 * What is measured, per contender and sample, on a fleet started fresh for it (so every
 * contender starts from the same bare hosts and no contender inherits another's state):
 *   bare    the first run: every step really changes the host (files, stand-in packages,
 *           services); the job an operator runs once per machine.
 *   re-run  a second run right after: every step's check passes, nothing changes; the
 *           job's fixed cost (connections, sessions, checks), what repeated runs pay.
 * Every contender works on all N hosts at once. Fleet start, script rendering and playbook
 * writing are untimed. Contenders rotate order per sample. Each run is checked: no host
 * failed, the re-run changed nothing, and every contender changed the same number of steps.
 * Besides wall time, the CPU its own processes used on this machine is reported: the
 * hosts share this machine's cores, so an orchestrator's CPU slows the hosts' scripts. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClusterFile } from '../src/cluster/load.js';
import { assertBuilt } from '../test/helpers/cli.js';
import { requireTools, type TestFleet, type TestHostSpec } from '../test/hosts/index.js';
import {
  fmtDeltaMs,
  fmtMs,
  isAborting,
  median,
  type Log,
  requireCommand,
  rotate,
  runProcess,
  stdoutLog,
  table,
  type Target,
  target,
  targetLine,
} from './common.js';
import { ansibleContender } from './fanout-ansible.js';
import { withFleet } from './fleet.js';
import { type Contender, type FleetRun, hostFloorContender, k8sprepContender, type Outcome, sshScriptContender, type Timing } from './fanout-contenders.js';

const VERSION = '1.34.2';
export const CONTENDERS: readonly Contender[] = [k8sprepContender, sshScriptContender, ansibleContender, hostFloorContender];
/** The issue's targets are stated at this size. */
const TARGET_HOSTS = 30;

type Mode = 'bare' | 're-run';
const MODES: readonly Mode[] = ['bare', 're-run'];
/** Per contender id, per mode, one Timing per sample. */
type Samples = Map<string, Record<Mode, Timing[]>>;

export interface FanoutResult {
  /** Per fleet size. */
  samples: Map<number, Samples>;
  targets: Target[];
  /** What failed (a contender at a size, a work mismatch): reported, and the bench exits 1. */
  failures: string[];
}

/** Two CentOS 7 hosts to one Arch host; the first host is the control plane. */
function fleetSpecs(n: number): TestHostSpec[] {
  return Array.from({ length: n }, (_, i) => ({ name: `n${String(i + 1).padStart(2, '0')}`, os: i % 3 === 2 ? 'arch' : 'centos7' }));
}

function requireFanoutTools(contenders: readonly Contender[]): void {
  requireTools(); // root, sshd (openssh-server), unshare, ...
  requireCommand('ssh', 'openssh-client');
  requireCommand('xargs', 'findutils');
  if (contenders.includes(ansibleContender)) requireCommand('ansible-playbook', 'ansible-core');
}

function checkOutcome(c: Contender, mode: Mode, o: Outcome, n: number): void {
  if (o.failed.length > 0) throw new Error(`fan-out ${n} hosts, ${c.label} (${mode}): hosts failed, so its time means nothing:\n  ${o.failed.join('\n  ')}`);
  if (mode === 're-run' && o.changed > 0) throw new Error(`fan-out ${n} hosts, ${c.label}: the re-run changed ${o.changed} steps (expected none)`);
}

/** A problem when the runs from bare did not all change the same number of steps. */
function sameWorkProblem(n: number, samples: Samples): string | undefined {
  const counts = [...samples].flatMap(([id, m]) => m.bare.map((t) => `${id} ${t.outcome.changed}`));
  if (new Set(counts.map((c) => c.split(' ')[1])).size > 1)
    return `fan-out ${n} hosts: the runs from bare changed different numbers of steps: ${counts.join(', ')}`;
  return undefined;
}

/** A fresh fleet of n hosts for one sample. */
function withHosts<T>(n: number, fn: (fleet: TestFleet) => Promise<T>): Promise<T> {
  return withFleet(fleetSpecs(n), {}, fn);
}

/** One sample: a fresh fleet, the untimed set-up, the timed bare run and re-run. */
async function sample(c: Contender, n: number, tag: string): Promise<Record<Mode, Timing>> {
  const dir = mkdtempSync(join(tmpdir(), `k8sprep-bench-fanout-${c.id}-`));
  try {
    return await withHosts(n, async (fleet) => {
      const clusterFile = join(dir, 'cluster.yaml');
      writeFileSync(clusterFile, fleet.clusterYaml({ version: VERSION, name: 'bench' }));
      const run: FleetRun = { fleet, dir, clusterFile, cluster: await loadClusterFile(clusterFile), parallel: n };
      try {
        await c.prepare(run);
        const bare = await c.run(run, `bench-${tag}-bare`);
        checkOutcome(c, 'bare', bare.outcome, n);
        const rerun = await c.run(run, `bench-${tag}-rerun`);
        checkOutcome(c, 're-run', rerun.outcome, n);
        return { bare, 're-run': rerun };
      } finally {
        await c.cleanup?.(run);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median wall time of `ssh HOST true` on a fresh host: what each SSH session costs here. */
function sessionCost(): Promise<number> {
  return withHosts(1, async (fleet) => {
    const host = fleet.hosts[0]!;
    const ssh = join(fleet.home, '.ssh');
    const args = [
      '-F',
      '/dev/null',
      '-i',
      join(ssh, 'id_ed25519'),
      '-o',
      `UserKnownHostsFile=${join(ssh, 'known_hosts')}`,
      '-o',
      'BatchMode=yes',
      `root@${host.address}`,
      'true',
    ];
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await runProcess('ssh', args)).ms);
    return median(times);
  });
}

function report(n: number, runs: number, contenders: readonly Contender[], samples: Samples, log: Log): Target[] {
  const med = (id: string, mode: Mode, what: 'ms' | 'cpuMs' = 'ms') => median((samples.get(id)?.[mode] ?? []).map((t) => t[what]));
  const arch = fleetSpecs(n).filter((s) => s.os === 'arch').length;
  log(`  ${n} host${n === 1 ? '' : 's'} (${n - arch} CentOS 7, ${arch} Arch), median of ${runs}:`);
  const rows = [
    ['contender', 'bare (fresh hosts)', 're-run (no changes)', 'CPU of its processes here, bare / re-run'],
    ...contenders.map((c) => [
      c.label,
      fmtMs(med(c.id, 'bare')),
      fmtMs(med(c.id, 're-run')),
      `${fmtMs(med(c.id, 'bare', 'cpuMs'))} / ${fmtMs(med(c.id, 're-run', 'cpuMs'))}`,
    ]),
  ];
  for (const line of table(rows)) log(`    ${line}`);
  const has = (id: string) => contenders.some((c) => c.id === id);
  const targets: Target[] = [];
  for (const mode of MODES) {
    const k = med('k8sprep', mode);
    const ratios: Target[] = [];
    if (has('ssh')) ratios.push(target('fan-out', `k8sprep / ssh script (${mode}, ${n} hosts)`, k / med('ssh', mode), '<=', 1.5));
    if (has('ansible')) ratios.push(target('fan-out', `ansible / k8sprep (${mode}, ${n} hosts)`, med('ansible', mode) / k, '>=', 15));
    for (const t of ratios) log(`    ${n === TARGET_HOSTS ? targetLine(t) : `${t.label} = ${t.ratio.toFixed(2)}x`}`);
    if (n === TARGET_HOSTS) targets.push(...ratios);
  }
  if (has('floor')) {
    // The floor's processes are the hosts' scripts: its CPU is what the steps themselves cost.
    for (const mode of MODES) {
      const floor = med('floor', mode);
      const over = contenders.filter((c) => c.id !== 'floor').map((c) => `${c.label} ${fmtDeltaMs(med(c.id, mode) - floor)}`);
      log(`    time over the floor (${mode}): ${over.join(', ')}`);
      const k = med('k8sprep', mode) - floor;
      // Differences of medians from different fleets: indicative, and meaningless when k8sprep's is within noise of 0.
      if (has('ansible') && k > 0) log(`      ansible's time over the floor / k8sprep's = ${((med('ansible', mode) - floor) / k).toFixed(1)}x`);
    }
  }
  return targets;
}

export async function benchFanout(opts: { sizes?: number[]; runs?: number; contenders?: readonly Contender[]; log?: Log } = {}): Promise<FanoutResult> {
  const sizes = opts.sizes ?? [1, 10, 30];
  const runs = opts.runs ?? 3;
  const contenders = opts.contenders ?? CONTENDERS;
  const log = opts.log ?? stdoutLog;
  requireFanoutTools(contenders);
  assertBuilt(); // the CLI runs dist/: build it when older than src/
  log(`Fan-out: node init --prep-only (preflight + prep steps), Kubernetes ${VERSION}, ${runs} sample(s) per contender and size`);
  log('  every sample starts a fresh fleet per contender; "bare" = first run (all steps change the hosts),');
  log('  "re-run" = second run right after (all checks pass, nothing changes); all hosts at once in every contender');
  for (const c of contenders) log(`  ${c.label}: ${c.how}`);
  log(`  one SSH session on these test hosts (ssh HOST true): ${fmtMs(await sessionCost())}`);
  const result: FanoutResult = { samples: new Map(), targets: [], failures: [] };
  for (const n of sizes) {
    const samples: Samples = new Map(contenders.map((c) => [c.id, { bare: [], 're-run': [] }]));
    result.samples.set(n, samples);
    const failed = new Set<string>();
    for (let i = 0; i < runs; i++) {
      for (const c of rotate(contenders, i).filter((x) => !failed.has(x.id))) {
        let s: Record<Mode, Timing>;
        try {
          s = await sample(c, n, `${c.id}-${n}-${i + 1}`);
        } catch (err) {
          if (isAborting()) throw err;
          // A long run goes on without this contender at this size; the report says so.
          const message = err instanceof Error ? err.message : String(err);
          log(`  ${n} hosts, sample ${i + 1}/${runs}, ${c.label}: FAILED: ${message}`);
          result.failures.push(`${c.label} at ${n} hosts: ${message.split('\n')[0]}`);
          failed.add(c.id);
          continue;
        }
        for (const mode of MODES) samples.get(c.id)?.[mode].push(s[mode]);
        log(
          `  ${n} hosts, sample ${i + 1}/${runs}, ${c.label}: bare ${fmtMs(s.bare.ms)} (${s.bare.outcome.changed} steps changed), ` +
            `re-run ${fmtMs(s['re-run'].ms)} (${s['re-run'].outcome.unchanged} unchanged); load ${loadavg()[0]?.toFixed(1)}`,
        );
      }
    }
    for (const id of failed) samples.delete(id);
    const mismatch = sameWorkProblem(n, samples);
    if (mismatch) {
      log(`  ${mismatch}`);
      result.failures.push(mismatch);
    }
    result.targets.push(
      ...report(
        n,
        runs,
        contenders.filter((c) => !failed.has(c.id)),
        samples,
        log,
      ),
    );
  }
  if (!sizes.includes(TARGET_HOSTS)) log(`  (the targets are stated at ${TARGET_HOSTS} hosts, not measured in this run)`);
  return result;
}
