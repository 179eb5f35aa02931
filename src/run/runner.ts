/**
 * The phase runner: every action (node init, certs renew, certs check --remote, ...) is an
 * ordered list of phases (phase.ts) run here over one session per host. Each phase is a
 * barrier: it starts once the previous one has finished on all its hosts. Within a phase,
 * hosts run in parallel (at most --concurrency at once) or one at a time; the hosts a phase
 * reaches are connected before its task list starts (a key's passphrase question must not hide
 * under the live renderer). A host that fails takes no part in later phases; the others go on.
 * A phase whose `needs` did not all succeed is not run. Ctrl-C (the signal) ends every running
 * script through its session; nothing new starts; the reports are still completed.
 *
 * Display: listr2, one task list per phase with a task per host and a subtask per step
 * (driven by the markers): the live renderer on a terminal, one line per event otherwise,
 * nothing with --json. listr2's own SIGINT handler is off (it would exit at once, 127).
 */
import { Listr, type ListrTask } from 'listr2';
import type { Cluster, Host } from '../cluster/types.js';
import type { StepSelection } from '../script/render.js';
import type { BootstrapInputs } from '../steps/types.js';
import type { HostFacts } from './facts.js';
import { HostState } from './host-state.js';
import { hostPlacement, type Phase, type PhaseContext, phasesOn, type Placement } from './phase.js';
import { mapConcurrent } from './pool.js';
import type { HostReport, StepReport } from './report.js';
import type { HostSession } from './session.js';

export type Display = 'live' | 'lines' | 'silent';

export interface RunOptions {
  cluster: Cluster;
  /** The hosts the command works on, in cluster-file order. */
  targets: readonly Host[];
  selection: StepSelection;
  /** What bootstrap steps render from (local state, --wait). */
  bootstrap?: BootstrapInputs | undefined;
  runId: string;
  concurrency: number;
  display: Display;
  /** Aborting it (Ctrl-C) ends the running scripts; nothing new starts. */
  signal?: AbortSignal | undefined;
  sessionFor(host: Host): HostSession;
  /** Progress lines of custom phases (ctx.progress). */
  onProgress?: ((host: Host, message: string) => void) | undefined;
}

export interface PhaseOutcome {
  id: string;
  status: 'ok' | 'failed' | 'not-run';
  /** Why a phase was not run, or what failed in a local phase. */
  reason?: string;
}

export interface RunResult {
  /** Every host the run opened a session for, in cluster-file order. */
  hosts: HostReport[];
  phases: PhaseOutcome[];
}

const RENDERERS = { live: ['default', 'simple'], lines: ['simple', 'simple'], silent: ['silent', 'silent'] } as const;
const FINAL: ReadonlySet<StepReport['status']> = new Set(['changed', 'unchanged', 'failed', 'not-run']);

export async function runPhases(phases: readonly Phase[], opts: RunOptions): Promise<RunResult> {
  const { cluster } = opts;
  const states = new Map<string, HostState>();
  const stateOf = (host: Host): HostState => {
    let s = states.get(host.name);
    if (!s) {
      s = new HostState(opts.sessionFor(host), cluster);
      states.set(host.name, s);
    }
    return s;
  };
  const placement = { cluster, targets: opts.targets };
  const ctx: PhaseContext = { cluster, runId: opts.runId, progress: (h, m) => opts.onProgress?.(h, m) };
  const outcomes: PhaseOutcome[] = [];
  const onAbort = () => void Promise.all([...states.values()].map((s) => s.session.interrupt()));
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (const phase of phases) {
      const missing = (phase.needs ?? []).filter((id) => outcomes.find((o) => o.id === id)?.status !== 'ok');
      if (opts.signal?.aborted || missing.length > 0) {
        outcomes.push({ id: phase.id, status: 'not-run', reason: opts.signal?.aborted ? 'interrupted (Ctrl-C)' : `needs ${missing.join(', ')}` });
        for (const h of hostPlacement(phase)?.hosts(placement) ?? []) if (states.has(h.name)) stateOf(h).phaseStatus(phase, 'not-run');
        continue;
      }
      const where = hostPlacement(phase);
      outcomes.push(where ? await runHostPhase(phase, where, phases, opts, ctx, stateOf, () => states.values(), placement) : await runLocalPhase(phase, ctx));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const order = new Map(cluster.hosts.map((h, i) => [h.name, i]));
  const reports = await Promise.all([...states.values()].map((s) => s.finish()));
  reports.sort((a, b) => (order.get(a.host) ?? 0) - (order.get(b.host) ?? 0));
  return { hosts: reports, phases: outcomes };
}

async function runLocalPhase(phase: Phase, ctx: PhaseContext): Promise<PhaseOutcome> {
  try {
    await phase.runLocal?.(ctx);
    return { id: phase.id, status: 'ok' };
  } catch (err) {
    return { id: phase.id, status: 'failed', reason: err instanceof Error ? err.message : String(err) };
  }
}

async function runHostPhase(
  phase: Phase,
  where: Placement,
  phases: readonly Phase[],
  opts: RunOptions,
  ctx: PhaseContext,
  stateOf: (host: Host) => HostState,
  allStates: () => Iterable<HostState>,
  placement: { cluster: Cluster; targets: readonly Host[] },
): Promise<PhaseOutcome> {
  const hosts = where.hosts(placement).map(stateOf);
  const fresh = hosts.filter((s) => !s.plan && s.ok);
  // Connect before the task list takes the terminal; each host's plan covers its step phases.
  // A slow SSH login would otherwise look like a hang: say what is happening first.
  if (fresh.length > 0 && opts.display !== 'silent') process.stderr.write(`connecting to ${fresh.length} host${fresh.length === 1 ? '' : 's'}\n`);
  await mapConcurrent(fresh, opts.concurrency, (s) => s.open(phasesOn(phases, placement, s.host), opts.selection, opts.bootstrap), opts.signal);
  const live = hosts.filter((s) => s.ok && (!phase.steps || s.hasScript(phase)));
  for (const s of hosts) if (!s.ok && !s.report.phases.some((p) => p.id === phase.id)) s.phaseStatus(phase, 'not-run');
  if (opts.signal?.aborted) {
    for (const s of live) s.phaseStatus(phase, 'not-run');
    return { id: phase.id, status: 'not-run', reason: 'interrupted (Ctrl-C)' };
  }

  const oneAtATime = where.order === 'one-at-a-time';
  let stopped = false;
  const tasks = live.map((s): ListrTask => ({
    title: `${s.host.name} (${s.host.address})${phase.steps ? '' : `: ${phase.title}`}`,
    task: async (_c, task) => {
      if (stopped || opts.signal?.aborted) {
        s.phaseStatus(phase, 'not-run');
        if (stopped) s.status = 'halted';
        task.skip(`${s.host.name}: not run`);
        return;
      }
      const done = s.runPhase(phase, ctx).then(() => {
        if (!s.ok && oneAtATime && where.stopAtFirstFailure) stopped = true;
      });
      if (!phase.steps) {
        await done;
        if (!s.ok) throw new Error(`${s.host.name}: ${s.report.error ?? 'failed'}`);
        return;
      }
      const ids = s.report.steps.filter((step) => step.phase === phase.id);
      return task.newListr(
        [
          ...ids.map((step) => stepSubtask(s, step, done)),
          {
            title: `${s.host.name}: ${phase.id}`,
            task: async (_x, sub) => {
              await done;
              if (!s.ok) throw new Error(`${s.host.name}: ${s.report.error ?? 'failed'}`);
              sub.title = `${s.host.name}: ${phase.id} done`;
            },
          },
        ],
        { concurrent: false, exitOnError: true },
      );
    },
  }));
  const [renderer, fallbackRenderer] = RENDERERS[opts.display];
  const list = new Listr(tasks, {
    concurrent: oneAtATime ? false : opts.concurrency,
    exitOnError: false,
    registerSignalListeners: false,
    renderer,
    fallbackRenderer,
    rendererOptions: { collapseSubtasks: false, collapseErrors: false },
  });
  await list.run().catch(() => undefined);

  if (phase.crossHostCheck && !opts.signal?.aborted) {
    const checked = live.filter((s) => s.ok);
    // Every host the run has read counts (node join compares new hosts with the cluster's);
    // only this phase's hosts can fail for it.
    const facts = new Map<string, HostFacts>(
      [...allStates()].filter((s) => s.ok && Object.keys(s.session.facts).length > 0).map((s) => [s.host.name, s.session.facts]),
    );
    const problems = phase.crossHostCheck(facts, { cluster: opts.cluster });
    for (const s of checked) {
      const mine = problems.get(s.host.name);
      if (mine && mine.length > 0) {
        s.failCrossHost(phase, mine);
        s.phaseStatus(phase, 'failed');
      }
    }
  }
  const failed = hosts.some((s) => s.report.phases.find((p) => p.id === phase.id)?.status === 'failed');
  if (failed) return { id: phase.id, status: 'failed' };
  if (opts.signal?.aborted) return { id: phase.id, status: 'not-run', reason: 'interrupted (Ctrl-C)' };
  // Hosts with nothing to do in a step phase (no selected step applies) count as done.
  if (hosts.length > 0 && !hosts.some((s) => s.ok)) return { id: phase.id, status: 'not-run', reason: 'no host of the phase is left' };
  return { id: phase.id, status: 'ok' };
}

function stepSubtask(s: HostState, step: StepReport, phaseDone: Promise<void>): ListrTask {
  const label = `${s.host.name}: ${step.title}`;
  return {
    title: label,
    task: async (_ctx, sub) => {
      const reached = new Promise<void>((resolve) => {
        const listener = (changed: StepReport) => {
          if (changed === step && FINAL.has(changed.status)) {
            s.off('step', listener);
            resolve();
          }
        };
        if (FINAL.has(step.status)) resolve();
        else s.on('step', listener);
      });
      await Promise.race([reached, phaseDone]);
      const status = FINAL.has(step.status) ? step.status : 'not-run';
      sub.title = `${label} [${status}]`;
      if (status === 'failed') {
        // The failed marker comes before the script's exit: the host's task (whose end lets
        // the runner close the connection) must not end while the script still runs.
        await phaseDone;
        throw new Error(`${label} [failed]`);
      }
      if (status === 'not-run') sub.skip(`${label} [not run]`);
    },
  };
}
