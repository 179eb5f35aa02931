/** The end-of-run summary: a table (or JSON), plus why each failed host failed. */
import type { HostReport } from './report.js';

function duration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function formatSummary(reports: readonly HostReport[]): string {
  const rows = [
    ['HOST', 'OS', 'STATUS', 'CHANGED', 'UNCHANGED', 'FAILED', 'DURATION', 'LOG'],
    ...reports.map((r) => [
      r.host,
      r.os ?? '?',
      r.status,
      String(r.changed),
      String(r.unchanged),
      String(r.failed),
      duration(r.durationMs),
      r.logPath,
    ]),
  ];
  return [table(rows), '', formatVerdict(reports)].join('\n');
}

/** The summary's end: "N of M hosts succeeded", then why each failed host failed (all --quiet prints). */
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
  return [totals, ...(failures.length ? ['', ...failures] : [])].join('\n');
}

export function summaryJson(runId: string, reports: readonly HostReport[]): string {
  return JSON.stringify({ runId, ok: reports.every((r) => r.status === 'ok'), hosts: reports }, null, 2);
}
