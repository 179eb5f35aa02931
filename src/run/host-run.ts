/**
 * Runs one host's plan over its transport: the scripts in order, markers turned into
 * step states, every line logged. Never throws: failures end up in the HostReport so
 * one host can never take the others down.
 */
import { EventEmitter } from 'node:events';
import type { Cluster, Host, OsId } from '../cluster/types.js';
import { HostError } from '../errors.js';
import { fillSecrets, redactSecrets, scrubSecrets } from '../script/secrets.js';
import type { StepSelection } from '../script/render.js';
import type { Phase } from '../steps/types.js';
import type { Transport } from '../transport/types.js';
import { HostLog } from './log.js';
import { parseMarker } from './markers.js';
import { type HostPlan, planHost } from './plan.js';
import { countSteps, type HostReport, type StepReport, type StepStatus } from './report.js';
import { detectOs } from './detect-os.js';

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

/** Emits 'plan' (HostPlan) once known, then 'step' (StepReport) on every state change. */
export class HostRun extends EventEmitter {
  readonly report: HostReport;
  private started = Date.now();

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

  async run(): Promise<HostReport> {
    const { opts, host } = this;
    const log = await HostLog.open(opts.logDir, host.name, opts.secrets);
    this.report.logPath = log.path;
    try {
      log.event(`connecting to ${host.address}`);
      await opts.transport.connect();
      const os: OsId = host.os ?? (await detectOs(opts.transport, host));
      this.report.os = os;
      const plan = planHost(opts.cluster, host, os, opts.phases, opts.selection);
      this.report.steps = plan.scripts.flatMap((s) =>
        s.steps.map((step): StepReport => ({ id: step.id, title: step.title, phase: s.phase.id, status: 'pending' })),
      );
      this.emit('plan', plan);
      await this.runScripts(plan, log);
    } catch (err) {
      this.fail(err, log);
    } finally {
      await opts.transport.close().catch(() => undefined);
      for (const step of this.report.steps) if (step.status === 'pending' || step.status === 'running') this.setStatus(step, 'not-run');
      countSteps(this.report);
      this.report.durationMs = Date.now() - this.started;
      log.event(`finished: ${this.report.status}`);
      await log.close();
    }
    return this.report;
  }

  private async runScripts(plan: HostPlan, log: HostLog): Promise<void> {
    const { opts, host } = this;
    for (const script of plan.scripts) {
      log.event(`phase ${script.phase.id}: script follows`);
      log.line(redactSecrets(script.text));
      let stepStarted = Date.now();
      const onLine = (stream: 'stdout' | 'stderr') => (raw: string) => {
        const line = scrubSecrets(raw, opts.secrets);
        log.line(stream === 'stderr' ? `[stderr] ${line}` : line);
        opts.onOutput?.(host, stream, line);
        if (stream === 'stderr') {
          this.report.stderrTail.push(line);
          if (this.report.stderrTail.length > STDERR_TAIL) this.report.stderrTail.shift();
          return;
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
        const failed = this.report.steps.find((s) => s.status === 'failed' || s.status === 'running');
        if (failed) this.setStatus(failed, 'failed');
        throw new HostError(host.name, `phase ${script.phase.id} exited with status ${code}${failed ? ` in step ${failed.id}` : ''}`, failed?.id);
      }
    }
  }

  private setStatus(step: StepReport, status: StepStatus): void {
    step.status = status;
    this.emit('step', step);
  }

  private fail(err: unknown, log: HostLog): void {
    this.report.status = 'failed';
    const message = err instanceof Error ? err.message : String(err);
    this.report.error = scrubSecrets(message, this.opts.secrets);
    if (err instanceof HostError && err.step) this.report.failedStep = err.step;
    else {
      const running = this.report.steps.find((s) => s.status === 'running');
      if (running) {
        this.setStatus(running, 'failed');
        this.report.failedStep = running.id;
      }
    }
    log.event(`failed: ${this.report.error}`);
  }
}
