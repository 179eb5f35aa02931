/**
 * Running an action: one session per host (SSH, local, or dry-run) handed to the phase runner.
 * Every command that touches hosts comes through here, so connecting, logging, secrets and
 * Ctrl-C work the same for all of them.
 */
import type { Cluster, Host } from '../cluster/types.js';
import type { StepSelection } from '../script/render.js';
import type { BootstrapInputs } from '../steps/types.js';
import type { Transport } from '../transport/types.js';
import type { DryRunCollector } from './dry-run.js';
import type { Phase } from './phase.js';
import { type Display, type RunResult, runPhases } from './runner.js';
import { HostSession } from './session.js';

export interface ActionOptions {
  cluster: Cluster;
  /** The hosts the command works on, in cluster-file order. */
  targets: readonly Host[];
  phases: readonly Phase[];
  selection?: StepSelection;
  bootstrap?: BootstrapInputs | undefined;
  runId: string;
  concurrency: number;
  display: Display;
  /** Secret values the scripts reference, for every host (each session gets its own copy to add to). */
  secrets: ReadonlyMap<string, string>;
  /** Real runs: `<logDir>/<host>.log`. */
  logDir?: string | undefined;
  /** Set for a dry run. */
  dryRun?: DryRunCollector | undefined;
  /** Absent: no host may be contacted (a dry run where every host declares its OS). */
  transportFor?: ((host: Host) => Transport) | undefined;
  signal?: AbortSignal | undefined;
  onOutput?: ((host: Host, stream: 'stdout' | 'stderr', line: string) => void) | undefined;
  onProgress?: ((host: Host, message: string) => void) | undefined;
}

export function runAction(opts: ActionOptions): Promise<RunResult> {
  return runPhases(opts.phases, {
    cluster: opts.cluster,
    targets: opts.targets,
    selection: opts.selection ?? {},
    bootstrap: opts.bootstrap,
    runId: opts.runId,
    concurrency: opts.concurrency,
    display: opts.dryRun ? 'silent' : opts.display,
    signal: opts.signal,
    onProgress: opts.onProgress,
    sessionFor: (host) =>
      new HostSession(host, {
        runId: opts.runId,
        transport: opts.transportFor?.(host),
        logDir: opts.logDir,
        secrets: new Map(opts.secrets),
        dryRun: opts.dryRun,
        onOutput: opts.onOutput,
      }),
  });
}
