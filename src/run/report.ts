import type { OsId } from '../cluster/types.js';

export type StepStatus = 'pending' | 'running' | 'changed' | 'unchanged' | 'failed' | 'not-run';

export interface StepReport {
  id: string;
  title: string;
  phase: string;
  status: StepStatus;
  durationMs?: number;
}

export interface HostReport {
  host: string;
  address: string;
  os?: OsId;
  status: 'ok' | 'failed';
  steps: StepReport[];
  changed: number;
  unchanged: number;
  failed: number;
  durationMs: number;
  logPath: string;
  /** The failing step's id, when a step failed. */
  failedStep?: string;
  /** One line: why the host failed. */
  error?: string;
  /** Last lines of stderr, shown under the summary for a failed host. */
  stderrTail: string[];
}

export function countSteps(report: HostReport): void {
  report.changed = report.steps.filter((s) => s.status === 'changed').length;
  report.unchanged = report.steps.filter((s) => s.status === 'unchanged').length;
  report.failed = report.steps.filter((s) => s.status === 'failed').length;
}
