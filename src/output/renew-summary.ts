/** What `certs renew` prints at the end: per host what was and was not replaced, and where the backups are. */
import type { HostRenewReport, RenewSummary } from '../actions/certs-renew-report.js';

function hostBlock(r: HostRenewReport): string[] {
  const lines: string[] = [];
  const head = `${r.host} (${r.address}): `;
  if (r.status === 'not-run') return [`${head}not run (the roll-out stopped before this host)`];
  if (r.status === 'renewed') lines.push(`${head}renewed ${r.replaced.length} files, valid until ${r.notAfter ?? '?'}; apiserver healthy`);
  else if (r.status === 'planned') lines.push(`${head}would renew ${r.notReplaced.length} files, valid until ${r.notAfter ?? '?'} (dry run: nothing written)`);
  else lines.push(`${head}FAILED in ${r.failedStep ?? '?'}${r.reached ? ` ${r.reached}` : ''}: ${r.error ?? 'failed'}`);
  for (const rec of r.recovered)
    lines.push(`  finished the interrupted renewal ${rec.runId} first (${rec.direction === 'forward' ? 'rolled forward' : 'rolled back'})`);
  if (r.status === 'failed') {
    lines.push(r.replaced.length === 0 ? '  replaced: nothing' : '  replaced:', ...r.replaced.map((p) => `    ${p}`));
    if (r.notReplaced.length > 0) lines.push('  not replaced:', ...r.notReplaced.map((p) => `    ${p}`));
  }
  if (r.status === 'planned') lines.push(...r.notReplaced.map((p) => `    ${p}`));
  const sources = Object.entries(r.caSources).map(([id, s]) => `${id} from ${s === 'local' ? 'the local state directory' : 'the host'}`);
  if (sources.length > 0) lines.push(`  signed with: ${sources.join(', ')}`);
  const byReason = new Map<string, string[]>();
  for (const l of r.left) byReason.set(l.reason, [...(byReason.get(l.reason) ?? []), l.path]);
  for (const [reason, paths] of byReason) lines.push(`  left: ${paths.join(', ')}: ${reason}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.backupDir) lines.push(`  backup: ${r.backupDir}`);
  if (r.status === 'failed' && r.journal) lines.push(`  journal: ${r.journal}`);
  if (r.logPath) lines.push(`  log: ${r.logPath}`);
  return lines;
}

export function formatRenewSummary(s: RenewSummary): string {
  const parts = s.hosts.map((r) => hostBlock(r).join('\n'));
  for (const t of s.localTrees ?? []) {
    parts.push(
      `${t.path}: ${t.action === 'updated' ? `updated with the ${t.files} files put on ${t.host}` : t.action === 'would-update' ? `would get the ${t.files} files put on ${t.host} (dry run)` : `not updated (${t.reason ?? '?'})`}`,
    );
  }
  const a = s.localAdminConf;
  if (a)
    parts.push(
      `${a.path}: ${a.action === 'updated' ? `updated with ${a.from}'s new admin credentials` : a.action === 'would-update' ? 'would be updated (dry run)' : `not updated${a.reason ? ` (${a.reason})` : ''}`}`,
    );
  const done = s.hosts.filter((h) => h.status === (s.dryRun ? 'planned' : 'renewed')).length;
  parts.push(`${done} of ${s.hosts.length} control plane(s) ${s.dryRun ? 'planned' : 'renewed'}${s.ok ? '' : '; see above'}`);
  return `${parts.join('\n\n')}\n`;
}
