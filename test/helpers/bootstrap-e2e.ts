/**
 * The frame of the bootstrap, join and reset end-to-end files: a fleet of test hosts sharing one
 * cluster (test/hosts README, "The shared cluster"), a file server with the CNI manifest (the
 * cluster file pins it by URL and sha256, as an air-gapped site would), the VIP at the subnet's
 * .100, and the CLI run as the operator runs it (HOME with the fleet's keys, --json summary).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostReport } from '../../src/run/report.js';
import {
  cniFixture,
  startFileServer,
  startTestHosts,
  type ClusterLogEntry,
  type ClusterYamlOptions,
  type FileServer,
  type TestFleet,
  type TestHostSpec,
} from '../hosts/index.js';
import { ipAt, parseSubnet } from '../hosts/net.js';
import { assertBuilt, runCli, tempDir } from './cli.js';

/** Starting hosts and bootstrapping them: generous, the machine may be shared and slow. */
export const E2E_TIMEOUT_MS = 900_000;

export interface Summary {
  runId: string;
  ok: boolean;
  phases: { id: string; status: string; reason?: string }[];
  hosts: HostReport[];
}

export interface RunOutcome {
  code: number | null;
  summary: Summary;
  stderr: string;
}

export interface BootstrapRig {
  fleet: TestFleet;
  files: FileServer;
  /** The working directory: cluster.yaml and .k8sprep/<cluster>/. */
  dir: string;
  clusterFile: string;
  vip: string;
  /** .k8sprep/<cluster>/ */
  stateDir: string;
  /** Writes cluster.yaml (the CNI manifest pinned to the file server's copy). */
  writeCluster(opts: ClusterYamlOptions): void;
  /** `k8sprep <args> -c cluster.yaml --json`; throws when no JSON summary came out. */
  run(args: readonly string[]): Promise<RunOutcome>;
  /** `k8sprep <args> -c cluster.yaml` as it is (no --json). */
  runRaw(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Registers beforeAll/afterAll for a shared-cluster fleet; the rig is filled in by beforeAll. */
export function useBootstrapFleet(specs: readonly TestHostSpec[], clusterName = 'e2e'): BootstrapRig {
  const rig = {} as BootstrapRig;
  let work: ReturnType<typeof tempDir> | undefined;
  beforeAll(async () => {
    assertBuilt();
    rig.fleet = await startTestHosts(specs, { sharedCluster: true });
    const calico = cniFixture('calico');
    rig.files = await startFileServer(rig.fleet, { '/calico.yaml': calico });
    work = tempDir('k8sprep-e2e-bootstrap-');
    rig.dir = work.path;
    rig.clusterFile = join(work.path, 'cluster.yaml');
    rig.stateDir = join(work.path, '.k8sprep', clusterName);
    rig.vip = ipAt(parseSubnet(rig.fleet.subnet), 100);
    const manifest = { url: `${rig.files.url}/calico.yaml`, sha256: createHash('sha256').update(calico).digest('hex') };
    rig.writeCluster = (opts) => {
      const spec = opts.spec ?? {};
      const kubernetes = { version: opts.version, cniManifest: manifest, ...(spec.kubernetes as Record<string, unknown> | undefined) };
      writeFileSync(rig.clusterFile, rig.fleet.clusterYaml({ name: clusterName, ...opts, spec: { ...spec, kubernetes } }));
    };
    rig.runRaw = (args) => runCli([...args, '-c', rig.clusterFile], { cwd: rig.dir, home: rig.fleet.home });
    rig.run = async (args) => {
      const r = await rig.runRaw([...args, '--json']);
      try {
        return { code: r.code, summary: JSON.parse(r.stdout) as Summary, stderr: r.stderr };
      } catch {
        throw new Error(`no JSON summary (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      }
    };
  }, 120_000);
  afterAll(async () => {
    await rig.files?.close();
    await rig.fleet?.stop();
    work?.remove();
  });
  return rig;
}

export function hostReport(summary: Summary, host: string): HostReport {
  const r = summary.hosts.find((h) => h.host === host);
  if (!r) throw new Error(`no report for ${host}`);
  return r;
}

/** Each failed host with its error and stderr tail: [] when every host succeeded (readable in a failed expectation). */
export function failures(summary: Summary): string[] {
  return summary.hosts.filter((h) => h.status !== 'ok').map((h) => [`${h.host}: ${h.error ?? 'failed'}`, ...h.stderrTail].join('\n  | '));
}

/** Step id -> status, for one host's report. */
export function stepStatuses(summary: Summary, host: string): Record<string, string> {
  return Object.fromEntries(hostReport(summary, host).steps.map((s) => [s.id, s.status]));
}

/** Every step of every host that is not `unchanged` (host:step=status): [] for a run that changed nothing. */
export function notUnchanged(summary: Summary): string[] {
  return summary.hosts.flatMap((h) => h.steps.filter((s) => s.status !== 'unchanged').map((s) => `${h.host}:${s.id}=${s.status}`));
}

/** The ended kubeadm operations of the cluster log: [host, op, result]. */
export function kubeadmRuns(log: readonly ClusterLogEntry[]): [string, string, string][] {
  return log.filter((e) => e.event === 'end').map((e) => [e.host, e.op, e.result ?? '?']);
}

/** [start, end] times (ms) of each ended operation of `op` by host, in log order. */
export function intervals(
  log: readonly ClusterLogEntry[],
  op: ClusterLogEntry['op'],
  hosts: readonly string[],
): { host: string; start: number; end: number }[] {
  const out: { host: string; start: number; end: number }[] = [];
  const open = new Map<string, number>();
  for (const e of log) {
    if (e.op !== op || !hosts.includes(e.host)) continue;
    if (e.event === 'start') open.set(e.host, Date.parse(e.time));
    else out.push({ host: e.host, start: open.get(e.host) ?? Number.NaN, end: Date.parse(e.time) });
  }
  return out;
}

/** kubeadm's discovery hash of a CA certificate file, computed by openssl (not by the code under test). */
export function opensslCaHash(caCrt: string): string {
  const out = execFileSync('sh', ['-c', 'openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform der | sha256sum', 'sh', caCrt]).toString();
  return `sha256:${out.split(' ')[0]}`;
}

/** A host's run log of a summary (every line its scripts printed), '' when there is none. */
export function runLog(summary: Summary, host: string): string {
  const path = hostReport(summary, host).logPath;
  return path && existsSync(path) ? readFileSync(path, 'utf8') : '';
}
