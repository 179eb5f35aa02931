import type { OsId } from '../cluster/types.js';
import type { HostFacts } from './facts.js';

export type StepStatus = 'pending' | 'running' | 'changed' | 'unchanged' | 'failed' | 'not-run';

export interface StepReport {
  id: string;
  title: string;
  phase: string;
  status: StepStatus;
  durationMs?: number;
}

/** How one phase went on one host. */
export interface HostPhaseReport {
  id: string;
  /** ok: ran and succeeded; failed; not-run: the phase did not reach this host (an earlier failure, a stop, Ctrl-C). */
  status: 'ok' | 'failed' | 'not-run';
}

export interface HostReport {
  host: string;
  address: string;
  os?: OsId;
  status: 'ok' | 'failed';
  steps: StepReport[];
  phases: HostPhaseReport[];
  changed: number;
  unchanged: number;
  failed: number;
  durationMs: number;
  logPath: string;
  /** The failing step's (or phase's) id. */
  failedStep?: string;
  /** One line: why the host failed. */
  error?: string;
  /** Last lines of stderr, shown under the summary for a failed host. */
  stderrTail: string[];
  /** What the host's scripts reported about it. */
  facts: HostFacts;
  /** What the operator should know that is not a failure (from the facts, or said by a phase). */
  notes: string[];
}

export function emptyHostReport(host: { name: string; address: string }, os: OsId | undefined): HostReport {
  return {
    host: host.name,
    address: host.address,
    ...(os ? { os } : {}),
    status: 'ok',
    steps: [],
    phases: [],
    changed: 0,
    unchanged: 0,
    failed: 0,
    durationMs: 0,
    logPath: '',
    stderrTail: [],
    facts: {},
    notes: [],
  };
}

export function countSteps(report: HostReport): void {
  report.changed = report.steps.filter((s) => s.status === 'changed').length;
  report.unchanged = report.steps.filter((s) => s.status === 'unchanged').length;
  report.failed = report.steps.filter((s) => s.status === 'failed').length;
}
