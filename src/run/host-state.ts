/**
 * One host's part of a run, for the runner: its session, its report (steps from the markers,
 * phases, the failure), and its plan (the step phases' scripts, rendered once the OS is known).
 * Emits 'step' (StepReport) on every step state change, which the task list follows. Never
 * throws from runPhase: a failure ends up in the report, so one host never takes the others down.
 */
import { EventEmitter } from 'node:events';
import type { Cluster, Host } from '../cluster/types.js';
import { HostError, TransportError } from '../errors.js';
import { factNotes } from './facts.js';
import type { StepSelection } from '../script/render.js';
import type { BootstrapInputs } from '../steps/types.js';
import { scrubSecrets } from '../script/secrets.js';
import type { Phase, PhaseContext } from './phase.js';
import { type HostPlan, planHost } from './plan.js';
import { countSteps, emptyHostReport, type HostReport, type StepReport, type StepStatus } from './report.js';
import type { HostSession } from './session.js';

export class HostState extends EventEmitter {
  readonly report: HostReport;
  /** halted: a one-at-a-time phase stopped before this host; it takes no part in later phases. */
  status: 'ok' | 'failed' | 'halted' = 'ok';
  plan: HostPlan | undefined;
  private readonly started = Date.now();

  constructor(
    readonly session: HostSession,
    private readonly cluster: Cluster,
  ) {
    super();
    // One listener per step of the running phase (the task list's subtasks), many by design.
    this.setMaxListeners(0);
    this.report = emptyHostReport(session.host, session.host.os);
    this.report.facts = session.facts;
  }

  get host(): Host {
    return this.session.host;
  }

  get ok(): boolean {
    return this.status === 'ok';
  }

  /** Connects (or not, in a dry run), learns the OS and renders the host's step phases. */
  async open(phases: readonly Phase[], selection: StepSelection, bootstrap?: BootstrapInputs): Promise<void> {
    try {
      await this.session.open();
      this.report.logPath = this.session.logPath;
      const os = this.session.os;
      if (!os) throw new HostError(this.host.name, 'the OS is not known');
      this.report.os = os;
      this.plan = planHost(this.cluster, this.host, os, phases, selection, bootstrap);
      this.report.steps = this.plan.scripts.flatMap((s) =>
        s.steps.map((step): StepReport => ({ id: step.id, title: step.title, phase: s.phase.id, status: 'pending' })),
      );
    } catch (err) {
      this.report.logPath = this.session.logPath;
      this.fail(err);
    }
  }

  /** Runs `phase` on this host; records ok / failed / not-run. */
  async runPhase(phase: Phase, ctx: PhaseContext): Promise<void> {
    if (!this.ok) return this.phaseStatus(phase, 'not-run');
    try {
      if (phase.steps) await this.runStepScript(phase);
      else await phase.run?.(this.session, ctx);
      this.phaseStatus(phase, 'ok');
    } catch (err) {
      this.fail(err, phase);
      this.phaseStatus(phase, 'failed');
    }
  }

  phaseStatus(phase: Phase, status: 'ok' | 'failed' | 'not-run'): void {
    this.report.phases = [...this.report.phases.filter((p) => p.id !== phase.id), { id: phase.id, status }];
  }

  /** Whether this host has anything to run in a step phase (its selected, applicable steps). */
  hasScript(phase: Phase): boolean {
    return this.plan?.scripts.some((s) => s.phase.id === phase.id) ?? false;
  }

  private async runStepScript(phase: Phase): Promise<void> {
    const script = this.plan?.scripts.find((s) => s.phase.id === phase.id);
    if (!script) return;
    let stepStarted = Date.now();
    const stepOf = (id: string) => this.report.steps.find((s) => s.id === id && s.phase === phase.id);
    const result = await this.session.run(
      { phase: phase.id, text: script.text },
      {
        onMarker: (marker) => {
          const step = stepOf(marker.step);
          if (!step) return;
          if (marker.status === 'begin') {
            stepStarted = Date.now();
            this.setStatus(step, 'running');
          } else {
            step.durationMs = Date.now() - stepStarted;
            this.setStatus(step, marker.status);
          }
        },
      },
    );
    if (this.session.isDryRun) return;
    if (result.code !== 0) {
      const failed = this.report.steps.find((s) => s.phase === phase.id && (s.status === 'failed' || s.status === 'running'));
      if (failed) this.setStatus(failed, 'failed');
      throw new HostError(this.host.name, `phase ${phase.id} exited with status ${result.code}${failed ? ` in step ${failed.id}` : ''}`, failed?.id);
    }
  }

  private setStatus(step: StepReport, status: StepStatus): void {
    step.status = status;
    this.emit('step', step);
  }

  /** Fails the host with problems found across hosts (e.g. a duplicate machine id). */
  failCrossHost(phase: Phase, problems: readonly string[]): void {
    this.fail(new HostError(this.host.name, `${phase.id}: ${problems.join('; ')}`));
  }

  /** The first failure is the host's: later ones (e.g. the session ending after it) are only logged. */
  fail(err: unknown, phase?: Phase): void {
    const raw = err instanceof Error ? err.message : String(err);
    const message = scrubSecrets(raw, this.session.secrets);
    if (!this.ok) {
      this.session.note(`also: ${message}`);
      return;
    }
    this.status = 'failed';
    this.report.status = 'failed';
    const running = this.report.steps.find((s) => s.status === 'running');
    if (running) this.setStatus(running, 'failed');
    const step =
      (err instanceof HostError && !(err instanceof TransportError) ? err.step : undefined) ?? running?.id ?? (phase && !phase.steps ? phase.id : undefined);
    if (step) this.report.failedStep = step;
    const interrupted = this.session.wasInterrupted;
    this.report.error = interrupted
      ? `interrupted (Ctrl-C)${running ? ` during step ${running.id}` : phase ? ` during ${phase.id}` : ' before it finished'}`
      : message;
    // What the failing step (or the script, before its first step) wrote on stderr.
    this.report.stderrTail = [...this.session.stderrTail];
    this.session.note(`failed: ${this.report.error}${interrupted && message !== this.report.error ? ` (${message})` : ''}`);
    this.emit('failed', this.report);
  }

  /** Closes the session; marks steps that never ran; the report is final. */
  async finish(): Promise<HostReport> {
    for (const step of this.report.steps) {
      if (step.status === 'pending' || step.status === 'running') this.setStatus(step, 'not-run');
    }
    countSteps(this.report);
    this.report.notes.push(...factNotes(this.session.facts), ...this.session.notes);
    this.report.durationMs = Date.now() - this.started;
    await this.session.close(this.report.status);
    return this.report;
  }
}
