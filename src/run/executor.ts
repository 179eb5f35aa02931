/**
 * The executor: one listr2 task per host (at most `concurrency` at once), its steps as
 * subtasks driven by the script's markers. Interactive terminals get listr2's live
 * renderer; pipes and CI get one line per event; --json runs silently. A host's
 * failure never stops the others (`exitOnError: false`, and HostRun never throws).
 */
import { Listr, type ListrTask } from 'listr2';
import type { Host } from '../cluster/types.js';
import type { Transport } from '../transport/types.js';
import { HostRun, type HostRunOptions } from './host-run.js';
import type { HostPlan } from './plan.js';
import type { HostReport, StepReport } from './report.js';

export interface ExecuteOptions extends Omit<HostRunOptions, 'transport'> {
  hosts: readonly Host[];
  concurrency: number;
  transportFor(host: Host): Transport;
  display: 'live' | 'silent';
  verbose: boolean;
}

/** Resolves once the step reaches a final state. */
function stepDone(run: HostRun, id: string, phase: string): Promise<StepReport> {
  return new Promise((resolve) => {
    const listener = (s: StepReport) => {
      if (s.id !== id || s.phase !== phase || s.status === 'pending' || s.status === 'running') return;
      run.off('step', listener);
      resolve(s);
    };
    run.on('step', listener);
  });
}

function hostTask(host: Host, opts: ExecuteOptions, reports: HostReport[]): ListrTask {
  return {
    title: `${host.name} (${host.address})`,
    task: async (_ctx, task) => {
      const run = new HostRun(host, { ...opts, transport: opts.transportFor(host) });
      const finished = run.run().then((r) => {
        reports[host.index] = r;
        return r;
      });
      const plan = await new Promise<HostPlan | undefined>((resolve) => {
        run.once('plan', resolve);
        void finished.then(() => resolve(undefined));
      });
      const subtasks: ListrTask[] = (plan?.scripts ?? []).flatMap((script) =>
        script.steps.map((step) => ({
          title: `${host.name}: ${step.title}`,
          task: async (_c, sub) => {
            const done = stepDone(run, step.id, script.phase.id);
            const state = await Promise.race([done, finished.then(() => run.report.steps.find((s) => s.id === step.id && s.phase === script.phase.id))]);
            const status = state?.status ?? 'not-run';
            sub.title = `${host.name}: ${step.title} [${status}]`;
            if (status === 'failed') throw new Error(`${host.name}: step ${step.id} failed`);
            if (status === 'not-run') sub.skip(`${host.name}: ${step.title} [not run]`);
          },
        })),
      );
      subtasks.push({
        title: `${host.name}: finish`,
        task: async (_c, sub) => {
          const report = await finished;
          sub.title = `${host.name}: ${report.status === 'ok' ? 'done' : 'FAILED'} (${report.changed} changed, ${report.unchanged} unchanged, ${report.failed} failed)`;
          if (report.status === 'failed') throw new Error(`${host.name}: ${report.error ?? 'failed'}`);
        },
      });
      return task.newListr(subtasks, { concurrent: false, exitOnError: true });
    },
  };
}

export async function executeHosts(opts: ExecuteOptions): Promise<HostReport[]> {
  const reports: HostReport[] = [];
  const list = new Listr(
    opts.hosts.map((h) => hostTask(h, opts, reports)),
    {
      concurrent: opts.concurrency,
      exitOnError: false,
      collectErrors: false,
      renderer: opts.display === 'silent' ? 'silent' : 'default',
      fallbackRenderer: opts.display === 'silent' ? 'silent' : 'simple',
      rendererOptions: { collapseSubtasks: false, collapseErrors: false },
    },
  );
  await list.run().catch(() => undefined);
  return opts.hosts.map((h) => reports[h.index]).filter((r): r is HostReport => r !== undefined);
}
