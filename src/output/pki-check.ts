/**
 * What `certs check` prints and exits with, for the local directory and for `--remote`
 * alike: the table (format.ts) or JSON, the --warn-within verdict, and hosts that could not
 * be read. Exit 1 when anything is wrong, expires within the window, or was not read.
 */
import { expiringWithin, type PkiInspection, problemLines } from '../pki/inspect.js';
import { renderInspection } from './pki-report.js';

export interface CheckOutput {
  text: string;
  exitCode: 0 | 1;
}

export interface CheckOutputOptions {
  warnSeconds?: number | undefined;
  /** The --warn-within text as given (for the message). */
  warnText?: string | undefined;
  json: boolean;
  /** Hosts the remote check could not read. */
  errors?: { host: string; error: string }[];
}

export function checkOutput(inspection: PkiInspection, opts: CheckOutputOptions): CheckOutput {
  const { warnSeconds } = opts;
  const errors = opts.errors ?? [];
  const expiring = warnSeconds === undefined ? [] : expiringWithin(inspection, warnSeconds);
  const problems = [...problemLines(inspection), ...errors.map((e) => `${e.host}: not checked: ${e.error}`)];
  const ok = problems.length === 0 && expiring.length === 0;
  let text: string;
  if (opts.json) {
    const out = {
      ...inspection,
      warnWithinSeconds: warnSeconds ?? null,
      expiring: expiring.map((e) => ({
        where: e.where,
        name: e.status.name,
        path: e.status.path,
        notAfter: e.status.notAfter,
        residualSeconds: e.status.residualSeconds,
      })),
      problems,
      ...(opts.errors ? { errors } : {}),
      ok,
    };
    text = `${JSON.stringify(out, null, 2)}\n`;
  } else {
    text = renderInspection(inspection, warnSeconds);
    if (errors.length > 0) text += `\nNOT CHECKED\n${errors.map((e) => `  ${e.host}: ${e.error}`).join('\n')}\n`;
    if (warnSeconds !== undefined) {
      text += expiring.length === 0 ? `\nnothing expires within ${opts.warnText}\n` : `\n${expiring.length} certificate(s) expire within ${opts.warnText}\n`;
    }
  }
  return { text, exitCode: ok ? 0 : 1 };
}
