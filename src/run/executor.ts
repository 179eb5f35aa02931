/**
 * The executor: one listr2 task per host (at most `concurrency` at once), its steps as
 * subtasks driven by the script's markers. Interactive terminals get listr2's live
 * renderer; pipes, CI and --verbose get one line per event; --json runs silently. A
 * host's failure never stops the others (`exitOnError: false`; HostRun never throws).
 *
 * Every host connects (and logs in) before the first task list starts: the live renderer
 * takes over the terminal's output while it runs, so a passphrase question asked inside
 * it would be invisible. --verbose streams host lines as they come, which only a renderer
 * that leaves the terminal alone allows. listr2's own SIGINT handler (process.exit(127))
 * is off: the caller aborts `signal` instead, which ends every running script and lets
 * the run finish its logs and summary.
 *
 * Phases with a `crossHostCheck` end a stage: every host finishes the stage before the
 * check compares their facts and before any host starts the next phase.
 */
import { Listr, type ListrTask } from 'listr2';
import type { Host } from '../cluster/types.js';
import type { Phase } from '../steps/types.js';
import type { Transport } from '../transport/types.js';
import { HostRun, type HostRunOptions } from './host-run.js';
import type { HostReport, StepReport } from './report.js';

export interface ExecuteOptions extends Omit<HostRunOptions, 'transport'> {
  hosts: readonly Host[];
  concurrency: number;
  transportFor(host: Host): Transport;
  /** live: listr2's redrawn list (a terminal); lines: one line per event; silent: nothing. */
  display: 'live' | 'lines' | 'silent';
  /** Aborting it (Ctrl-C) ends the running scripts; nothing new starts. */
  signal?: AbortSignal;
}

const RENDERERS = { live: ['default', 'simple'], lines: ['simple', 'simple'], silent: ['silent', 'silent'] } as const;

/** Connects every host (at most `concurrency` at once) and plans it; stops starting new ones once aborted. */
async function openAll(runs: readonly HostRun[], concurrency: number, signal: AbortSignal | undefined): Promise<void> {
  const queue = [...runs];
  const worker = async () => {
    for (let run = queue.shift(); run && !signal?.aborted; run = queue.shift()) await run.open();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs.length) }, worker));
}

/** Consecutive phases up to and including each phase that has a cross-host check. */
export function splitStages(phases: readonly Phase[]): Phase[][] {
  const stages: Phase[][] = [[]];
  for (const phase of phases) {
    stages[stages.length - 1]?.push(phase);
    if (phase.crossHostCheck) stages.push([]);
  }
  return stages.filter((s) => s.length > 0);
}

const FINAL: ReadonlySet<StepReport['status']> = new Set(['changed', 'unchanged', 'failed', 'not-run']);

function stepSubtask(run: HostRun, step: StepReport, stageDone: Promise<void>): ListrTask {
  const label = `${run.host.name}: ${step.title}`;
  return {
    title: label,
    task: async (_ctx, sub) => {
      const reached = new Promise<void>((resolve) => {
        const listener = (s: StepReport) => {
          if (s === step && FINAL.has(s.status)) {
            run.off('step', listener);
            resolve();
          }
        };
        if (FINAL.has(step.status)) resolve();
        else run.on('step', listener);
      });
      await Promise.race([reached, stageDone]);
      const status = FINAL.has(step.status) ? step.status : 'not-run';
      sub.title = `${label} [${status}]`;
      if (status === 'failed') {
        // The failed marker comes before the script's exit: the host's task (whose end lets
        // the executor close the connection) must not end while the script still runs.
        await stageDone;
        throw new Error(`${label} [failed]`);
      }
      if (status === 'not-run') sub.skip(`${label} [not run]`);
    },
  };
}

function hostTask(run: HostRun, stage: readonly Phase[]): ListrTask {
  return {
    title: `${run.host.name} (${run.host.address})`,
    task: async (_ctx, task) => {
      if (!run.ok) throw new Error(`${run.host.name}: ${run.report.error ?? 'failed'}`);
      const ids = new Set(stage.map((p) => p.id));
      const stageDone = (async () => {
        for (const phase of stage) await run.runPhase(phase);
      })();
      const subtasks = run.report.steps.filter((s) => ids.has(s.phase)).map((s) => stepSubtask(run, s, stageDone));
      subtasks.push({
        title: `${run.host.name}: ${stage.map((p) => p.id).join(', ')}`,
        task: async (_c, sub) => {
          await stageDone;
          if (!run.ok) throw new Error(`${run.host.name}: ${run.report.error ?? 'failed'}`);
          sub.title = `${run.host.name}: ${stage.map((p) => p.id).join(', ')} done`;
        },
      });
      return task.newListr(subtasks, { concurrent: false, exitOnError: true });
    },
  };
}

export async function executeHosts(opts: ExecuteOptions): Promise<HostReport[]> {
  const runs = opts.hosts.map((host) => new HostRun(host, { ...opts, transport: opts.transportFor(host) }));
  let interrupted: Promise<unknown> = Promise.resolve();
  const onAbort = () => {
    interrupted = Promise.all(runs.map((r) => r.interrupt()));
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.display !== 'silent') process.stderr.write(`connecting to ${runs.length} host${runs.length === 1 ? '' : 's'}\n`);
  await openAll(runs, opts.concurrency, opts.signal);
  const [renderer, fallbackRenderer] = RENDERERS[opts.display];
  for (const stage of splitStages(opts.phases)) {
    const live = runs.filter((r) => r.ok);
    if (live.length === 0 || opts.signal?.aborted) break;
    const list = new Listr(
      live.map((run) => hostTask(run, stage)),
      {
        concurrent: opts.concurrency,
        exitOnError: false,
        registerSignalListeners: false,
        renderer,
        fallbackRenderer,
        rendererOptions: { collapseSubtasks: false, collapseErrors: false },
      },
    );
    await list.run().catch(() => undefined);
    const last = stage[stage.length - 1];
    if (last?.crossHostCheck && !opts.signal?.aborted) {
      const checked = live.filter((r) => r.ok);
      const facts = new Map(checked.map((r) => [r.host.name, r.factsOf(last.id)]));
      const problems = last.crossHostCheck(facts, { cluster: opts.cluster });
      for (const run of checked) {
        const mine = problems.get(run.host.name);
        if (mine && mine.length > 0) run.failCrossHost(last, mine);
      }
    }
  }
  // After Ctrl-C, every session is ended before the reports are final.
  await interrupted;
  opts.signal?.removeEventListener('abort', onAbort);
  return Promise.all(runs.map((r) => r.finish()));
}
