/**
 * One control plane's renewal: connect, read /etc/kubernetes, finish an interrupted earlier
 * renewal first (then read again), plan (keys, certificates, CA choice), then the apply
 * script. In a dry run only the read happens and the scripts are handed back unexecuted.
 * Never throws: what happened, and how far, ends up in the report.
 */
import type { Cluster, Host } from '../../cluster/types.js';
import { HostError } from '../../errors.js';
import { HostLog } from '../../run/log.js';
import type { Transport } from '../../transport/types.js';
import { PkiError } from '../errors.js';
import { readHostPki } from '../remote/read-host.js';
import type { HostPkiFiles } from '../remote/read-parse.js';
import { renderReadScript, RENEW_STATE_DIR } from '../remote/read-script.js';
import { renderApplyScript, renderRecoverScript } from './apply-script.js';
import { type HostRenewalPlan, planHostRenewal } from './plan.js';
import { newProgress, stageReached } from './progress.js';
import { emptyReport, type HostRenewReport } from './report.js';
import { runRenewScript } from './session.js';

export interface RenewHostOptions {
  cluster: Cluster;
  runId: string;
  validityHours: number;
  waitSeconds: number;
  now?: Date;
  localPkiDir?: string | undefined;
  dryRun: boolean;
  /** Where the host's log goes (real runs only). */
  logDir?: string | undefined;
  transport: Transport;
  /** Ctrl-C: closing the transport ends the running script (a renewal past its commit point finishes on the host). */
  signal?: AbortSignal | undefined;
  onOutput?: (line: string) => void;
  onProgress?: (message: string) => void;
  /** Dry run: each script as it would be sent (placeholders in), with the secrets to fill it. */
  onScript?: (phase: string, text: string, secrets: ReadonlyMap<string, string>) => void;
}

export interface HostRenewResult {
  report: HostRenewReport;
  plan?: HostRenewalPlan;
}

export async function renewHost(host: Host, opts: RenewHostOptions): Promise<HostRenewResult> {
  const started = Date.now();
  const report = emptyReport(host, opts.dryRun ? 'planned' : 'renewed');
  const secrets = new Map<string, string>();
  const progress = newProgress();
  const say = (m: string) => opts.onProgress?.(m);
  let step = 'connect';
  let plan: HostRenewalPlan | undefined;
  let log: HostLog | undefined;
  const session = { transport: opts.transport, runId: opts.runId, secrets, progress, onOutput: opts.onOutput };
  const onAbort = () => void opts.transport.close().catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) throw new HostError(host.name, 'interrupted (Ctrl-C) before it started', step);
    if (opts.logDir) {
      log = await HostLog.open(opts.logDir, host.name, secrets);
      report.logPath = log.path;
    }
    await opts.transport.connect();
    step = 'read';
    say('reading /etc/kubernetes');
    opts.onScript?.('certs-read', renderReadScript(host.name), secrets);
    let files: HostPkiFiles = await readHostPki(opts.transport, { runId: opts.runId, log });
    if (files.pending.length > 0) {
      step = 'recover';
      const list = files.pending.map((p) => `${p.runId} (${p.state})`).join(', ');
      if (opts.dryRun) {
        report.notes.push(`an interrupted renewal (${list}) would be finished first`);
        opts.onScript?.('certs-recover', renderRecoverScript(host), secrets);
      } else {
        say(`finishing the interrupted renewal ${list}`);
        await runRenewScript(renderRecoverScript(host), { ...session, step, log });
        report.recovered = progress.recovered;
        Object.assign(progress, newProgress());
        step = 'read';
        files = await readHostPki(opts.transport, { runId: opts.runId, log });
      }
    }
    step = 'plan';
    plan = await planHostRenewal(opts.cluster, host, files.files, {
      validity: { hours: opts.validityHours, now: opts.now ?? new Date() },
      keyBits: opts.cluster.certificates.keyBits,
      localPkiDir: opts.localPkiDir,
    });
    Object.assign(report, { left: plan.left, notes: [...report.notes, ...plan.notes], caSources: plan.caSources, notAfter: plan.files[0]?.notAfter });
    if (plan.files.length === 0) throw new HostError(host.name, 'no certificates to renew in /etc/kubernetes', step);
    for (const f of plan.files) secrets.set(f.secret, f.content);
    const script = renderApplyScript({ host, plan, waitSeconds: opts.waitSeconds });
    report.notReplaced = plan.files.map((f) => f.target);
    if (opts.dryRun) {
      opts.onScript?.('certs-renew', script, secrets);
      return { report, plan };
    }
    step = 'apply';
    report.journal = `${RENEW_STATE_DIR}/${opts.runId}`;
    say(`renewing ${plan.files.length} files`);
    await runRenewScript(script, { ...session, step, log });
    report.status = 'renewed';
  } catch (err) {
    report.status = 'failed';
    report.failedStep = step;
    report.error = opts.signal?.aborted ? `interrupted (Ctrl-C) during ${step}` : err instanceof Error ? err.message : String(err);
    if (step === 'apply' || step === 'recover') {
      report.reached = stageReached(progress);
      report.notes.push(
        progress.committed
          ? `the renewal passed its commit point: ${host.name} completes it (swap, static pod restart) by itself, or the next \`k8sprep certs renew --hosts ${host.name}\` does; the host never keeps a mix of old and new files`
          : `${host.name} keeps all of its old files${progress.staged.length > 0 ? ' (the staged copies are removed now or by the next renew)' : ''}`,
      );
    }
    if (!(err instanceof HostError || err instanceof PkiError)) log?.event(`unexpected: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    log?.event(`failed in ${step}: ${report.error}`);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    report.replaced = progress.replaced;
    report.notReplaced = report.notReplaced.filter((t) => !progress.replaced.includes(t));
    if (progress.backupDir) report.backupDir = progress.backupDir;
    await opts.transport.close().catch(() => undefined);
    report.durationMs = Date.now() - started;
    log?.event(`finished: ${report.status}`);
    await log?.close();
  }
  return plan ? { report, plan } : { report };
}
