/**
 * One host's side of a run: connect, learn the OS, plan, then run phase scripts over the
 * one connection as the executor asks, turning marker lines into step states and fact
 * lines into facts, logging every line. Never throws: failures end up in the HostReport
 * so one host can never take the others down.
 */
import { EventEmitter } from 'node:events';
import type { Cluster, Host } from '../cluster/types.js';
import { HostError } from '../errors.js';
import { fillSecrets, redactSecrets, scrubSecrets } from '../script/secrets.js';
import type { StepSelection } from '../script/render.js';
import type { HostFacts, Phase } from '../steps/types.js';
import type { Transport } from '../transport/types.js';
import { detectOs } from './detect-os.js';
import { HostLog } from './log.js';
import { parseFact, parseMarker, receivedKey } from './markers.js';
import { type HostPlan, planHost } from './plan.js';
import { countSteps, type HostReport, type StepReport, type StepStatus } from './report.js';

/** How many of the failing step's last stderr lines the summary shows. */
const STDERR_TAIL = 15;

export interface HostRunOptions {
  cluster: Cluster;
  phases: readonly Phase[];
  selection: StepSelection;
  runId: string;
  logDir: string;
  secrets: ReadonlyMap<string, string>;
  transport: Transport;
  /** Called with every output line (already scrubbed), for --verbose. */
  onOutput?: (host: Host, stream: 'stdout' | 'stderr', line: string) => void;
}

/** Emits 'step' (StepReport) on every step state change. */
export class HostRun extends EventEmitter {
  readonly report: HostReport;
  plan: HostPlan | undefined;
  private readonly facts = new Map<string, Map<string, string>>();
  private readonly started = Date.now();
  private log: HostLog | undefined;
  /** stderr since the current step began (or since its script started, before the first step). */
  private stepStderr: string[] = [];
  /** Set by interrupt(): no new script starts, and failures say so. */
  private interrupted = false;
  /** Every phase ran (the run has nothing left to do). */
  private completed = false;

  constructor(
    readonly host: Host,
    private readonly opts: HostRunOptions,
  ) {
    super();
    this.report = {
      host: host.name,
      address: host.address,
      status: 'ok',
      steps: [],
      changed: 0,
      unchanged: 0,
      failed: 0,
      durationMs: 0,
      logPath: '',
      stderrTail: [],
    };
    if (host.os) this.report.os = host.os;
  }

  get ok(): boolean {
    return this.report.status === 'ok';
  }

  /** Connects, detects the OS when undeclared, and renders the plan. */
  async open(): Promise<void> {
    const { opts, host } = this;
    try {
      this.log = await HostLog.open(opts.logDir, host.name, opts.secrets);
      this.report.logPath = this.log.path;
      this.log.event(`connecting to ${host.address}`);
      await opts.transport.connect();
      const os = host.os ?? (await detectOs(opts.transport, host));
      this.report.os = os;
      this.plan = planHost(opts.cluster, host, os, opts.phases, opts.selection);
      this.report.steps = this.plan.scripts.flatMap((s) =>
        s.steps.map((step): StepReport => ({ id: step.id, title: step.title, phase: s.phase.id, status: 'pending' })),
      );
    } catch (err) {
      this.fail(err);
    }
  }

  /** Runs this host's script for `phase` (if it has one); a failure marks the host failed. */
  async runPhase(phase: Phase): Promise<void> {
    if (!this.ok || this.interrupted) return;
    const script = this.plan?.scripts.find((s) => s.phase.id === phase.id);
    try {
      if (script) await this.runScript(script);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (phase.id === this.opts.phases[this.opts.phases.length - 1]?.id) this.completed = true;
  }

  /**
   * Ctrl-C: ends the running script's session (the transport stops the script), starts
   * nothing new, and fails the host unless it had already done everything.
   */
  async interrupt(): Promise<void> {
    if (this.completed || this.interrupted) return;
    this.interrupted = true;
    await this.opts.transport.close().catch(() => undefined);
    if (this.ok) this.fail(new HostError(this.host.name, 'interrupted (Ctrl-C)'));
  }

  factsOf(phaseId: string): HostFacts {
    return this.facts.get(phaseId) ?? new Map();
  }

  /** Fails the host with problems found across hosts (e.g. a duplicate machine id). */
  failCrossHost(phase: Phase, problems: readonly string[]): void {
    this.fail(new HostError(this.host.name, `${phase.id}: ${problems.join('; ')}`));
  }

  /** Closes the connection and the log; marks steps that never ran. */
  async finish(): Promise<HostReport> {
    await this.opts.transport.close().catch(() => undefined);
    for (const step of this.report.steps) {
      if (step.status === 'pending' || step.status === 'running') this.setStatus(step, 'not-run');
    }
    countSteps(this.report);
    this.report.durationMs = Date.now() - this.started;
    this.log?.event(`finished: ${this.report.status}`);
    await this.log?.close();
    return this.report;
  }

  private async runScript(script: HostPlan['scripts'][number]): Promise<void> {
    const { opts, host } = this;
    const log = this.log;
    const facts = new Map<string, string>();
    this.facts.set(script.phase.id, facts);
    log?.event(`phase ${script.phase.id}: script follows`);
    log?.line(redactSecrets(script.text));
    let stepStarted = Date.now();
    this.stepStderr = [];
    const onLine = (stream: 'stdout' | 'stderr') => (raw: string) => {
      const line = scrubSecrets(raw, opts.secrets);
      if (stream === 'stderr' && parseMarker(line)?.status === 'begin') {
        // stderr's copy of a step's begin marker (see preamble.ts): what follows is that step's.
        this.stepStderr = [];
        return;
      }
      log?.line(stream === 'stderr' ? `[stderr] ${line}` : line);
      opts.onOutput?.(host, stream, line);
      if (stream === 'stderr') {
        this.stepStderr.push(line);
        if (this.stepStderr.length > STDERR_TAIL) this.stepStderr.shift();
        return;
      }
      const fact = parseFact(line);
      if (fact) {
        facts.set(fact.key, fact.value);
        facts.set(receivedKey(fact.key), String(Date.now() / 1000));
      }
      const marker = parseMarker(line);
      const step = marker && this.report.steps.find((s) => s.id === marker.step && s.phase === script.phase.id);
      if (!marker || !step) return;
      if (marker.status === 'begin') {
        stepStarted = Date.now();
        this.setStatus(step, 'running');
      } else {
        step.durationMs = Date.now() - stepStarted;
        this.setStatus(step, marker.status);
      }
    };
    const code = await opts.transport.runScript(fillSecrets(script.text, opts.secrets), [opts.runId], {
      onStdoutLine: onLine('stdout'),
      onStderrLine: onLine('stderr'),
    });
    if (code !== 0) {
      const failed = this.report.steps.find((s) => s.phase === script.phase.id && (s.status === 'failed' || s.status === 'running'));
      if (failed) this.setStatus(failed, 'failed');
      throw new HostError(host.name, `phase ${script.phase.id} exited with status ${code}${failed ? ` in step ${failed.id}` : ''}`, failed?.id);
    }
  }

  private setStatus(step: StepReport, status: StepStatus): void {
    step.status = status;
    this.emit('step', step);
  }

  /** The first failure is the host's: later ones (e.g. the session ending after it) are only logged. */
  private fail(err: unknown): void {
    const raw = err instanceof Error ? err.message : String(err);
    const message = scrubSecrets(raw, this.opts.secrets);
    if (!this.ok) {
      this.log?.event(`also: ${message}`);
      return;
    }
    this.report.status = 'failed';
    const running = this.report.steps.find((s) => s.status === 'running');
    if (running) this.setStatus(running, 'failed');
    const step = (err instanceof HostError ? err.step : undefined) ?? running?.id;
    if (step) this.report.failedStep = step;
    this.report.error = this.interrupted ? `interrupted (Ctrl-C)${running ? ` during step ${running.id}` : ' before it finished'}` : message;
    // What the failing step (or the script, before its first step) wrote on stderr.
    this.report.stderrTail = [...this.stepStderr];
    this.log?.event(`failed: ${this.report.error}${this.interrupted && message !== this.report.error ? ` (${message})` : ''}`);
    this.emit('failed', this.report);
  }
}
