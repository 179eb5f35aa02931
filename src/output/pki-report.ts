/**
 * Human output for `certs check`, modelled on `kubeadm certs check-expiration`:
 * CERTIFICATE / EXPIRES / RESIDUAL TIME / CERTIFICATE AUTHORITY (plus STATUS), then the
 * CAs, per node; then every problem, one line each.
 */
import type { CertStatus, PkiInspection } from '../pki/inspect.js';
import { problemLines } from '../pki/inspect.js';
import { formatTable } from './table.js';

/** kubeadm's (apimachinery's ShortHumanDuration) residual time: 59s, 59m, 23h, 364d, 9y. */
export function shortDuration(seconds: number): string {
  if (seconds <= 0) return 'expired';
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** kubeadm's EXPIRES format: `Jan 02, 2006 15:04 UTC`. */
export function formatExpires(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

function status(s: CertStatus, warnSeconds: number | undefined): string {
  if (s.problems.length > 0) return s.problems.length === 1 ? '1 problem' : `${s.problems.length} problems`;
  if (warnSeconds !== undefined && s.residualSeconds !== undefined && s.residualSeconds < warnSeconds) return 'expires soon';
  return s.note ? 'ok (external)' : 'ok';
}

function expiryCells(s: CertStatus): [string, string] {
  if (s.notAfter === undefined || s.residualSeconds === undefined) return ['-', '-'];
  return [formatExpires(s.notAfter), shortDuration(s.residualSeconds)];
}

function certTable(list: CertStatus[], warn: number | undefined): string {
  const rows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'STATUS']];
  for (const s of list) rows.push([s.name, ...expiryCells(s), s.authority ?? '', status(s, warn)]);
  return formatTable(rows, 3);
}

function caTable(list: CertStatus[], warn: number | undefined): string {
  const rows = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'STATUS']];
  for (const s of list) rows.push([s.name, ...expiryCells(s), status(s, warn)]);
  return formatTable(rows, 3);
}

/** The whole report; `warnSeconds` marks what expires within the --warn-within window. */
export function renderInspection(insp: PkiInspection, warnSeconds?: number): string {
  const parts: string[] = [];
  if (insp.layout !== undefined) {
    const what = insp.layout === 'kubeadm' ? 'a kubeadm /etc/kubernetes tree' : "k8sprep's PKI directory";
    const against =
      insp.comparedWith === null || insp.comparedWith === undefined
        ? 'no cluster file: expiry, chains and keys only (-c FILE, or ./cluster.yaml, also compares subjects and SANs)'
        : `subjects, SANs and servers compared with ${insp.comparedWith}`;
    parts.push([`${insp.source}: ${what}; ${against}`, ...(insp.notes ?? []).map((n) => `note: ${n}`)].join('\n'));
  }
  if (insp.shared) parts.push(`[shared] ${insp.source}\n\n${caTable(insp.shared.authorities, warnSeconds)}`);
  for (const n of insp.nodes) {
    parts.push(`[${n.host}] ${n.root}\n\n${certTable(n.certificates, warnSeconds)}\n\n${caTable(n.authorities, warnSeconds)}`);
  }
  const problems = problemLines(insp);
  if (problems.length > 0) parts.push(`PROBLEMS\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return `${parts.join('\n\n')}\n`;
}
