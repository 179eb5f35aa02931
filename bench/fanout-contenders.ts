/**
 * The fan-out benchmark's contenders that send k8sprep's own scripts: k8sprep itself (the
 * real CLI over its ssh2 transport), the hand-made baseline (the dry run's scripts,
 * OpenSSH's client, `xargs -P`; bench/parallel-ssh.sh) and the floor (the same scripts run
 * in the hosts without SSH). Ansible is in fanout-ansible.ts.
 * Each reports what the hosts said (steps changed / unchanged, failed hosts), so the bench
 * can check every contender did the same work.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster } from '../src/cluster/types.js';
import { parseMarker } from '../src/run/markers.js';
import type { TestFleet, TestHost } from '../test/hosts/index.js';
import { SYSTEM_PATH } from '../test/hosts/proc.js';
import { type ProcResult, runOk, runProcess, tail } from './common.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(REPO, 'bin', 'run.js');
const PARALLEL_SSH = join(REPO, 'bench', 'parallel-ssh.sh');

/** One fleet, started for one contender's sample. */
export interface FleetRun {
  fleet: TestFleet;
  /** Work directory: cluster.yaml, rendered scripts, outputs. */
  dir: string;
  clusterFile: string;
  cluster: Cluster;
  /** Hosts worked on at once, the same for every contender: all of them. */
  parallel: number;
}

export interface Outcome {
  changed: number;
  unchanged: number;
  /** "host: why" for every host that did not finish. */
  failed: string[];
}

export interface Timing {
  /** Wall time of the run. */
  ms: number;
  /** CPU the contender's own processes used on this machine (not the hosts' scripts). */
  cpuMs: number;
  outcome: Outcome;
}

export interface Contender {
  id: string;
  label: string;
  /** One line on how it runs, for the report. */
  how: string;
  /** Untimed set-up on a fresh fleet (render scripts, write a playbook). */
  prepare(run: FleetRun): Promise<void>;
  /** The timed run; `runId` names the hosts' backup directory. */
  run(run: FleetRun, runId: string): Promise<Timing>;
  /** Untimed tear-down before the fleet stops (e.g. ssh control masters). */
  cleanup?(run: FleetRun): Promise<void>;
}

/** The environment the CLI gets, as an operator's CI would give it (no TTY: one line per event). */
export function cliEnv(fleet: TestFleet): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: fleet.home, CI: 'true', NO_COLOR: '1' };
}

/** The host rows of k8sprep's summary table (HOST OS STATUS CHANGED UNCHANGED FAILED ...). */
function parseSummary(stdout: string): Outcome {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => /^HOST\s+OS\s+STATUS\s+CHANGED\s+UNCHANGED\s+FAILED/.test(l));
  const outcome: Outcome = { changed: 0, unchanged: 0, failed: [] };
  if (head < 0) return { ...outcome, failed: ['(no summary table in the output)'] };
  for (const line of lines.slice(head + 1)) {
    if (line.trim() === '') break;
    const [host, , status, changed, unchanged] = line.split(/\s+/);
    outcome.changed += Number(changed);
    outcome.unchanged += Number(unchanged);
    if (status !== 'ok') outcome.failed.push(`${host}: ${status}`);
  }
  return outcome;
}

export const k8sprepContender: Contender = {
  id: 'k8sprep',
  label: 'k8sprep',
  how: 'node bin/run.js node init --prep-only --concurrency N (ssh2, one connection per host, output piped: one line per event)',
  async prepare() {},
  async run(run) {
    const args = [BIN, 'node', 'init', '--prep-only', '-c', run.clusterFile, '--concurrency', String(run.parallel)];
    const r = await runProcess(process.execPath, args, { cwd: run.dir, env: cliEnv(run.fleet), cpu: true });
    const outcome = parseSummary(r.stdout);
    if (r.code !== 0 && outcome.failed.length === 0) outcome.failed.push(`exit ${r.code}: ${tail(r.stdout + r.stderr, 10)}`);
    return { ms: r.ms, cpuMs: r.cpuMs ?? NaN, outcome };
  },
};

export function countMarkers(output: string, outcome: Outcome): void {
  for (const line of output.split('\n')) {
    const m = parseMarker(line);
    if (m?.status === 'changed') outcome.changed++;
    if (m?.status === 'unchanged') outcome.unchanged++;
  }
}

/** Counts the step markers in every output file of parallel-ssh.sh; a non-zero ssh status fails that host. */
function parseOutputs(out: string, fleet: TestFleet): Outcome {
  const outcome: Outcome = { changed: 0, unchanged: 0, failed: [] };
  const files = readdirSync(out);
  for (const host of fleet.hosts) {
    for (const rc of files.filter((f) => f.startsWith(`${host.name}.`) && f.endsWith('.rc'))) {
      const code = readFileSync(join(out, rc), 'utf8').trim();
      const log = readFileSync(join(out, rc.replace(/\.rc$/, '.log')), 'utf8');
      countMarkers(log, outcome);
      if (code !== '0') outcome.failed.push(`${host.name}: ${rc} exit ${code}: ${tail(log, 5)}`);
    }
  }
  return outcome;
}

/** The dry run's scripts, DIR/scripts/<host>/<NN>-<phase>.sh: exactly what k8sprep sends. */
async function renderScripts(run: FleetRun): Promise<void> {
  const scripts = join(run.dir, 'scripts');
  await runOk(process.execPath, [BIN, 'node', 'init', '--prep-only', '--dry-run', '--show-secrets', '--out', scripts, '-c', run.clusterFile], {
    cwd: run.dir,
    env: cliEnv(run.fleet),
  });
}

/** The phase script names (01-preflight.sh, ...) in run order. */
function phaseFiles(run: FleetRun): string[] {
  const names = new Set(run.fleet.hosts.flatMap((h) => readdirSync(join(run.dir, 'scripts', h.name))));
  return [...names].sort();
}

export const sshScriptContender: Contender = {
  id: 'ssh',
  label: 'ssh script (xargs -P)',
  how: "k8sprep's dry-run scripts, `ssh HOST bash -s < NN-phase.sh` per host and phase, all hosts at once with xargs -P N (bench/parallel-ssh.sh)",
  async prepare(run) {
    await renderScripts(run);
    writeFileSync(join(run.dir, 'hosts.txt'), run.fleet.hosts.map((h) => `${h.name} ${h.address}\n`).join(''));
  },
  async run(run, runId) {
    const out = join(run.dir, `out-${runId}`);
    mkdirSync(out);
    const ssh = join(run.fleet.home, '.ssh');
    const args = [
      PARALLEL_SSH,
      join(run.dir, 'scripts'),
      join(run.dir, 'hosts.txt'),
      String(run.parallel),
      runId,
      join(ssh, 'id_ed25519'),
      join(ssh, 'known_hosts'),
      out,
    ];
    const r = await runProcess('bash', args, { cwd: run.dir, cpu: true });
    const outcome = parseOutputs(out, run.fleet);
    if (r.code !== 0 && outcome.failed.length === 0) outcome.failed.push(`parallel-ssh.sh exit ${r.code}: ${tail(r.stderr, 10)}`);
    return { ms: r.ms, cpuMs: r.cpuMs ?? NaN, outcome };
  },
};

/**
 * Not a contender but the reference the others are read against: the same scripts run
 * inside every host directly (nsenter into the host's namespaces and root, no SSH, no orchestrator), all
 * hosts at once, phases in order. What remains is the steps' own cost on these hosts,
 * where every stand-in call (yum, sysctl, systemctl...) is a bash script.
 */
const HOST_ENV = { PATH: SYSTEM_PATH, HOME: '/root', LANG: 'C', USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash' };

/** A script run inside a host as its root, without SSH: as host.exec does, without its 60 s limit (a 30-host bare run takes longer). */
export function runScriptInHost(host: TestHost, script: string, runId: string): Promise<ProcResult> {
  const argv = ['-t', String(host.initPid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', 'bash', '--norc', '-s', '--', runId];
  return runProcess('nsenter', argv, { input: script, env: HOST_ENV, cpu: true });
}

export const hostFloorContender: Contender = {
  id: 'floor',
  label: 'floor (scripts in the hosts, no SSH)',
  how: 'the same dry-run scripts run inside each host directly (nsenter, no SSH, no orchestrator): the cost of the steps themselves',
  prepare: renderScripts,
  async run(run, runId) {
    const outcome: Outcome = { changed: 0, unchanged: 0, failed: [] };
    const start = performance.now();
    let cpuMs = 0;
    for (const phase of phaseFiles(run)) {
      await Promise.all(
        run.fleet.hosts.map(async (host) => {
          const file = join(run.dir, 'scripts', host.name, phase);
          if (!existsSync(file) || outcome.failed.some((f) => f.startsWith(`${host.name}:`))) return;
          const r = await runScriptInHost(host, readFileSync(file, 'utf8'), runId);
          cpuMs += r.cpuMs ?? NaN;
          countMarkers(r.stdout, outcome);
          if (r.code !== 0) outcome.failed.push(`${host.name}: ${phase} exit ${r.code}: ${tail(r.stderr, 5)}`);
        }),
      );
    }
    return { ms: performance.now() - start, cpuMs, outcome };
  },
};
