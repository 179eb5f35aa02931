/** The end-of-run summary of a host action: a table (or JSON), why each failed host failed, and notes. */
import type { HostReport } from '../run/report.js';
import type { RunResult } from '../run/runner.js';
import { formatTable } from './table.js';

function duration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function formatSummary(reports: readonly HostReport[]): string {
  const rows = [
    ['HOST', 'OS', 'STATUS', 'CHANGED', 'UNCHANGED', 'FAILED', 'DURATION', 'LOG'],
    ...reports.map((r) => [r.host, r.os ?? '?', r.status, String(r.changed), String(r.unchanged), String(r.failed), duration(r.durationMs), r.logPath]),
  ];
  return [formatTable(rows), '', formatVerdict(reports)].join('\n');
}

/** The summary's end: "N of M hosts succeeded", why each failed host failed, and the notes (all --quiet prints). */
export function formatVerdict(reports: readonly HostReport[]): string {
  const failures = reports
    .filter((r) => r.status === 'failed')
    .map((r) => {
      const title = r.steps.find((s) => s.id === r.failedStep)?.title;
      const head = `${r.host}: ${r.failedStep ? `step ${r.failedStep}${title ? ` (${title})` : ''} failed: ` : ''}${r.error ?? 'failed'}`;
      return [head, ...r.stderrTail.map((l) => `  | ${l}`)].join('\n');
    });
  const ok = reports.filter((r) => r.status === 'ok').length;
  const totals = `${ok} of ${reports.length} host${reports.length === 1 ? '' : 's'} succeeded`;
  const notes = reports.flatMap((r) => r.notes.map((n) => `${r.host}: note: ${n}`));
  return [totals, ...(failures.length ? ['', ...failures] : []), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

export function summaryJson(runId: string, result: RunResult): string {
  const ok = result.hosts.every((r) => r.status === 'ok') && result.phases.every((p) => p.status !== 'failed');
  return JSON.stringify({ runId, ok, phases: result.phases, hosts: result.hosts }, null, 2);
}
