/**
 * Bootstrap benchmark (issue 8): `node init` from bare test hosts to a Ready cluster on 1,
 * 3+2 and 3+10 hosts (control planes + workers, CentOS 7 and Arch mixed, kube-vip), against
 * the critical-path floor measured in the same run:
 *   k8sprep  the real CLI over SSH (its local state made beforehand, untimed)
 *   floor    the same dry-run scripts (--show-secrets) run inside the hosts without SSH,
 *            phase after phase with the same placement: every host's prep at once (the
 *            longest counts), init, the control-plane joins in series, the workers' joins at
 *            once, the CNI, the wait for Ready. No orchestrator: what the steps cost.
 * The stand-ins' kubeadm and image pulls sleep for a realistic latency (fleet.cluster.setLatency),
 * so the numbers measure orchestration around real waits rather than 13 hosts' bash scripts
 * competing for this machine's 2 CPUs. Every sample starts fresh hosts; contenders alternate.
 * Each run is checked: exit 0, every node Ready.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeInitPhases } from '../src/actions/node-init.js';
import { assertBuilt } from '../test/helpers/cli.js';
import { cniFixture, requireTools, startFileServer, CLUSTER_TOOLS, type Latency, type TestFleet, type TestHostSpec } from '../test/hosts/index.js';
import { ipAt, parseSubnet } from '../test/hosts/net.js';
import { fmtMs, isAborting, median, type Log, rotate, runOk, runProcess, stdoutLog, table, type Target, target, targetLine, tail } from './common.js';
import { cliEnv, countMarkers, type Outcome, runScriptInHost } from './fanout-contenders.js';
import { withFleet } from './fleet.js';

const VERSION = '1.34.2';
const BIN = join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'run.js');
/** Seconds the stand-ins sleep: kubeadm init before its api-check, a join's TLS bootstrap or etcd wait, each image pull. */
const LATENCY: Latency = { init: 8, join: 4, pull: 1 };
/** The target is stated at this shape. */
const TARGET_SHAPE = '3+10';
const GOAL = 1.25;

export interface Shape {
  controlPlanes: number;
  workers: number;
}

export function parseShape(text: string): Shape {
  const m = /^(\d+)(?:\+(\d+))?$/.exec(text);
  const controlPlanes = Number(m?.[1]);
  const workers = Number(m?.[2] ?? 0);
  if (!m || controlPlanes < 1 || controlPlanes > 7 || workers > 100) throw new Error(`${text}: a shape is CONTROL_PLANES[+WORKERS], e.g. 1, 3+2, 3+10`);
  return { controlPlanes, workers };
}

const label = (s: Shape) => (s.workers ? `${s.controlPlanes}+${s.workers}` : String(s.controlPlanes));

/** CentOS 7 and Arch alternating, control planes first. */
function specs(shape: Shape): TestHostSpec[] {
  const names = [...Array.from({ length: shape.controlPlanes }, (_, i) => `cp${i + 1}`), ...Array.from({ length: shape.workers }, (_, i) => `w${i + 1}`)];
  return names.map((name, i) => (i % 2 ? { name, os: 'arch', archRepoKubeVersion: VERSION } : { name, os: 'centos7' }));
}

interface Sample {
  ms: number;
  outcome: Outcome;
}

interface Run {
  fleet: TestFleet;
  dir: string;
  clusterFile: string;
  shape: Shape;
}

interface Contender {
  id: 'k8sprep' | 'floor';
  label: string;
  /** Untimed: local state made, scripts rendered. */
  prepare(run: Run): Promise<void>;
  run(run: Run): Promise<Sample>;
}

/** `node init --dry-run` makes the local state (PKI, token) both contenders then use; the floor keeps the scripts. */
async function renderScripts(run: Run, out?: string): Promise<void> {
  const args = [BIN, 'node', 'init', '--dry-run', '--show-secrets', '-c', run.clusterFile, ...(out ? ['--out', out] : [])];
  await runOk(process.execPath, args, { cwd: run.dir, env: cliEnv(run.fleet) });
}

const k8sprep: Contender = {
  id: 'k8sprep',
  label: 'k8sprep node init',
  prepare: (run) => renderScripts(run),
  async run(run) {
    const args = [BIN, 'node', 'init', '--json', '-c', run.clusterFile, '--concurrency', String(run.fleet.hosts.length)];
    const r = await runProcess(process.execPath, args, { cwd: run.dir, env: cliEnv(run.fleet) });
    const outcome: Outcome = { changed: 0, unchanged: 0, failed: [] };
    try {
      const summary = JSON.parse(r.stdout) as { hosts: { host: string; status: string; error?: string; changed: number; unchanged: number }[] };
      for (const h of summary.hosts) {
        outcome.changed += h.changed;
        outcome.unchanged += h.unchanged;
        if (h.status !== 'ok') outcome.failed.push(`${h.host}: ${h.error ?? h.status}`);
      }
    } catch {
      outcome.failed.push(`no summary (exit ${r.code}): ${tail(r.stdout + r.stderr, 10)}`);
    }
    if (r.code !== 0 && outcome.failed.length === 0) outcome.failed.push(`exit ${r.code}: ${tail(r.stderr, 10)}`);
    return { ms: r.ms, outcome };
  },
};

const floor: Contender = {
  id: 'floor',
  label: 'floor (the scripts in the hosts, no SSH)',
  prepare: (run) => renderScripts(run, join(run.dir, 'scripts')),
  async run(run) {
    const outcome: Outcome = { changed: 0, unchanged: 0, failed: [] };
    const scriptOf = (host: string, phase: string) => {
      const dir = join(run.dir, 'scripts', host);
      const file = existsSync(dir) ? readdirSync(dir).find((f) => f.replace(/^\d+-/, '') === `${phase}.sh`) : undefined;
      return file ? readFileSync(join(dir, file), 'utf8') : undefined;
    };
    const runOn = async (host: TestFleet['hosts'][number], phase: string, text: string) => {
      const r = await runScriptInHost(host, text, `bench-floor-${phase}`);
      countMarkers(r.stdout, outcome);
      if (r.code !== 0) outcome.failed.push(`${host.name}: ${phase} exit ${r.code}: ${tail(r.stderr, 5)}`);
    };
    const start = performance.now();
    for (const phase of nodeInitPhases({ prepOnly: false })) {
      // Phases without a script (the admin kubeconfig's copy, a checksum's record) cost the floor nothing.
      const work = run.fleet.hosts.flatMap((h) => {
        const text = scriptOf(h.name, phase.id);
        return text === undefined ? [] : [{ host: h, text }];
      });
      if (phase.placement !== 'local' && phase.placement.order === 'one-at-a-time') {
        for (const w of work) await runOn(w.host, phase.id, w.text);
      } else {
        await Promise.all(work.map((w) => runOn(w.host, phase.id, w.text)));
      }
      if (outcome.failed.length > 0) break;
    }
    return { ms: performance.now() - start, outcome };
  },
};

const CONTENDERS: readonly Contender[] = [k8sprep, floor];

async function sample(c: Contender, shape: Shape): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), `k8sprep-bench-bootstrap-${c.id}-`));
  try {
    return await withFleet(specs(shape), { sharedCluster: true }, async (fleet) => {
      const calico = cniFixture('calico');
      const files = await startFileServer(fleet, { '/calico.yaml': calico });
      try {
        await fleet.cluster.setLatency(LATENCY);
        const clusterFile = join(dir, 'cluster.yaml');
        const controlPlanes = Object.fromEntries(fleet.hosts.slice(0, shape.controlPlanes).map((h) => [h.name, { roles: ['control-plane'] }]));
        const cniManifest = { url: `${files.url}/calico.yaml`, sha256: createHash('sha256').update(calico).digest('hex') };
        const spec = {
          controlPlaneEndpoint: { host: ipAt(parseSubnet(fleet.subnet), 100), loadBalancer: 'kube-vip' },
          kubernetes: { version: VERSION, cniManifest },
        };
        writeFileSync(clusterFile, fleet.clusterYaml({ version: VERSION, name: 'bench', spec, hosts: controlPlanes }));
        const run: Run = { fleet, dir, clusterFile, shape };
        await c.prepare(run);
        const s = await c.run(run);
        if (s.outcome.failed.length > 0)
          throw new Error(`${c.label} on ${label(shape)}: hosts failed, so its time means nothing:\n  ${s.outcome.failed.join('\n  ')}`);
        const notReady = (await fleet.cluster.state()).nodes.filter((n) => n.ready !== 'True').map((n) => n.name);
        const missing = fleet.hosts.length - (await fleet.cluster.state()).nodes.length;
        if (notReady.length > 0 || missing > 0)
          throw new Error(`${c.label} on ${label(shape)}: not every node Ready (${notReady.join(', ')}; ${missing} missing)`);
        return s;
      } finally {
        await files.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BootstrapResult {
  targets: Target[];
  failures: string[];
}

export async function benchBootstrap(opts: { shapes?: Shape[]; runs?: number; log?: Log } = {}): Promise<BootstrapResult> {
  const shapes = opts.shapes ?? ['1', '3+2', TARGET_SHAPE].map(parseShape);
  const runs = opts.runs ?? 3;
  const log = opts.log ?? stdoutLog;
  requireTools(CLUSTER_TOOLS);
  assertBuilt();
  log(`Bootstrap: node init from bare hosts to every node Ready, Kubernetes ${VERSION}, kube-vip, calico; ${runs} sample(s) per contender and shape`);
  log(`  stand-in latency: kubeadm init ${LATENCY.init} s, a join ${LATENCY.join} s, each image pull ${LATENCY.pull} s; every sample on fresh hosts`);
  for (const c of CONTENDERS) log(`  ${c.label}`);
  const result: BootstrapResult = { targets: [], failures: [] };
  for (const shape of shapes) {
    const times = new Map<string, number[]>(CONTENDERS.map((c) => [c.id, []]));
    try {
      for (let i = 0; i < runs; i++) {
        for (const c of rotate(CONTENDERS, i)) {
          const s = await sample(c, shape);
          times.get(c.id)?.push(s.ms);
          log(`  ${label(shape)}, sample ${i + 1}/${runs}, ${c.label}: ${fmtMs(s.ms)} (${s.outcome.changed} steps changed)`);
        }
      }
    } catch (err) {
      if (isAborting()) throw err;
      const message = err instanceof Error ? err.message : String(err);
      log(`  ${label(shape)}: FAILED: ${message}`);
      result.failures.push(`bootstrap ${label(shape)}: ${message.split('\n')[0]}`);
      continue;
    }
    const k = median(times.get('k8sprep') ?? []);
    const f = median(times.get('floor') ?? []);
    for (const line of table([
      ['shape', 'k8sprep', 'floor', 'k8sprep / floor'],
      [label(shape), fmtMs(k), fmtMs(f), `${(k / f).toFixed(2)}x`],
    ]))
      log(`    ${line}`);
    const t = target('bootstrap', `k8sprep / critical-path floor (${label(shape)})`, k / f, '<=', GOAL);
    if (label(shape) === TARGET_SHAPE) {
      log(`    ${targetLine(t)}`);
      result.targets.push(t);
    }
  }
  if (!shapes.some((s) => label(s) === TARGET_SHAPE)) log(`  (the target is stated at ${TARGET_SHAPE}, not measured in this run)`);
  return result;
}
