/**
 * `certs renew` as phases: `certs-renew` on the control planes, one at a time in cluster-file
 * order, stopping at the first failure (the hosts after it keep their working certificates; a
 * dry run reads every host and goes on), then `local-state`: each renewed host's node tree in
 * the local PKI gets what the host got, and the local `.k8sprep/<cluster>/admin.conf` the first
 * renewed host's new admin credentials (certs-renew-local.ts).
 *
 * On each host: read /etc/kubernetes, finish an interrupted earlier renewal first (then read
 * again), plan (keys, certificates, which CA signs), then the apply script (journal, backup,
 * staged swap behind a commit point, static pod restart, /healthz: src/steps/certs/). In a dry
 * run the reads happen (read-only) and the other scripts are only collected.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Host } from '../cluster/types.js';
import { HostError } from '../errors.js';
import { PkiError } from '../pki/errors.js';
import { RENEW_STATE_DIR } from '../pki/layout.js';
import { type HostRenewalPlan, planHostRenewal } from '../pki/renew-plan.js';
import type { Phase, PhaseContext } from '../run/phase.js';
import type { HostSession } from '../run/session.js';
import { apiserverSecurePort } from '../steps/certs/apiserver-port.js';
import { APISERVER_MANIFEST_REL } from '../steps/certs/read.js';
import { readHostPki } from '../steps/certs/read-host.js';
import { renderApplyScript, renderRecoverScript } from '../steps/certs/renew-apply.js';
import { applyEvent, newProgress, type RenewProgress, stageReached } from '../steps/certs/renew-progress.js';
import { emptyReport, type HostRenewReport, type LocalTreeReport, type RenewSummary } from './certs-renew-report.js';
import { refreshNodeTree, updateLocalAdminConf } from './certs-renew-local.js';

export interface RenewOptions {
  runId: string;
  validityHours: number;
  /** How long each wait on a host may take (pods gone, pods back, apiserver healthy). */
  waitSeconds: number;
  dryRun: boolean;
  /** The local PKI directory, when it exists: its CAs sign when they are the hosts'. */
  localPkiDir?: string | undefined;
  now?: Date;
}

export interface RenewAction {
  phases: Phase[];
  /** After the run: what happened on each host, in roll-out order. */
  summary(): RenewSummary;
}

export function certsRenewAction(cluster: Cluster, hosts: readonly Host[], opts: RenewOptions): RenewAction {
  const reports = new Map(hosts.map((h) => [h.name, emptyReport(h, 'not-run')]));
  const plans = new Map<string, HostRenewalPlan>();
  let localAdminConf: RenewSummary['localAdminConf'];
  const localTrees: LocalTreeReport[] = [];
  const renew: Phase = {
    id: 'certs-renew',
    title: 'renew the certificates',
    placement: { hosts: () => hosts, order: 'one-at-a-time', stopAtFirstFailure: !opts.dryRun },
    run: async (session, ctx) => {
      const report = reports.get(session.host.name) ?? emptyReport(session.host, 'not-run');
      const plan = await renewOnHost(session, ctx, cluster, opts, report);
      if (plan) plans.set(session.host.name, plan);
    },
  };
  const localState: Phase = {
    id: 'local-state',
    title: 'the local node trees and admin.conf follow the hosts',
    placement: 'local',
    runLocal: async () => {
      const done = hosts.filter((h) => reports.get(h.name)?.status === (opts.dryRun ? 'planned' : 'renewed'));
      if (opts.localPkiDir) {
        for (const h of done) {
          const plan = plans.get(h.name);
          if (plan) localTrees.push(await refreshNodeTree(opts.localPkiDir, h, plan, opts.dryRun));
        }
      }
      const path = join(cluster.stateDir, 'admin.conf');
      const first = done[0];
      if (!first || !existsSync(path)) return;
      localAdminConf = opts.dryRun ? { path, action: 'would-update', from: first.name } : await updateLocalAdminConf(path, first.name, plans.get(first.name));
    },
  };
  return {
    phases: [renew, localState],
    summary: () => {
      const list = hosts.map((h) => reports.get(h.name) ?? emptyReport(h, 'not-run'));
      const summary: RenewSummary = {
        runId: opts.runId,
        dryRun: opts.dryRun,
        ok: list.every((r) => r.status !== 'failed'),
        validityHours: opts.validityHours,
        hosts: list,
      };
      if (localTrees.length > 0) summary.localTrees = localTrees;
      if (localAdminConf) summary.localAdminConf = localAdminConf;
      return summary;
    },
  };
}

/** One control plane's renewal; fills `report` and rethrows a failure for the runner. */
async function renewOnHost(
  session: HostSession,
  ctx: PhaseContext,
  cluster: Cluster,
  opts: RenewOptions,
  report: HostRenewReport,
): Promise<HostRenewalPlan | undefined> {
  const { host } = session;
  const started = Date.now();
  report.status = opts.dryRun ? 'planned' : 'renewed';
  const progress = newProgress();
  const say = (m: string) => ctx.progress(host, m);
  let step = 'connect';
  let plan: HostRenewalPlan | undefined;
  try {
    await session.open();
    report.logPath = session.logPath || undefined;
    step = 'read';
    say('reading /etc/kubernetes');
    let files = await readHostPki(session);
    if (files.pending.length > 0) {
      step = 'recover';
      const list = files.pending.map((p) => `${p.runId} (${p.state})`).join(', ');
      if (opts.dryRun) {
        report.notes.push(`an interrupted renewal (${list}) would be finished first`);
        await session.run({ phase: 'certs-recover', text: renderRecoverScript(host) });
      } else {
        say(`finishing the interrupted renewal ${list}`);
        await runRenewScript(session, 'certs-recover', renderRecoverScript(host), progress, step);
        report.recovered = progress.recovered;
        Object.assign(progress, newProgress());
        step = 'read';
        files = await readHostPki(session);
      }
    }
    step = 'plan';
    plan = await planHostRenewal(cluster, host, files.files, {
      validity: { hours: opts.validityHours, now: opts.now ?? new Date() },
      keyBits: cluster.certificates.keyBits,
      localPkiDir: opts.localPkiDir,
    });
    Object.assign(report, { left: plan.left, notes: [...report.notes, ...plan.notes], caSources: plan.caSources, notAfter: plan.files[0]?.notAfter });
    if (plan.files.length === 0) throw new HostError(host.name, 'no certificates to renew in /etc/kubernetes', step);
    for (const f of plan.files) session.secrets.set(f.secret, f.content);
    const apiserverPort = apiserverSecurePort(files.files.get(APISERVER_MANIFEST_REL)?.text);
    const script = renderApplyScript({ host, plan, waitSeconds: opts.waitSeconds, apiserverPort });
    report.notReplaced = plan.files.map((f) => f.target);
    if (opts.dryRun) {
      await session.run({ phase: 'certs-renew', text: script });
      return plan;
    }
    step = 'apply';
    report.journal = `${RENEW_STATE_DIR}/${opts.runId}`;
    say(`renewing ${plan.files.length} files`);
    await runRenewScript(session, 'certs-renew', script, progress, step);
    report.status = 'renewed';
    return plan;
  } catch (err) {
    report.status = 'failed';
    report.failedStep = step;
    report.error = session.wasInterrupted ? `interrupted (Ctrl-C) during ${step}` : err instanceof Error ? err.message : String(err);
    if (step === 'apply' || step === 'recover') {
      report.reached = stageReached(progress);
      report.notes.push(
        progress.committed
          ? `the renewal passed its commit point: ${host.name} completes it (swap, static pod restart) by itself, or the next \`k8sprep certs renew --hosts ${host.name}\` does; the host never keeps a mix of old and new files`
          : `${host.name} keeps all of its old files${progress.staged.length > 0 ? ' (the staged copies are removed now or by the next renew)' : ''}`,
      );
    }
    if (!(err instanceof HostError || err instanceof PkiError)) session.note(`unexpected: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    throw err instanceof HostError ? err : new HostError(host.name, report.error, step);
  } finally {
    report.replaced = progress.replaced;
    report.notReplaced = report.notReplaced.filter((t) => !progress.replaced.includes(t));
    if (progress.backupDir) report.backupDir = progress.backupDir;
    report.durationMs = Date.now() - started;
  }
}

/**
 * Runs the apply or recovery script, its events (`::k8sprep-renew::` lines) followed in
 * `progress`; a failure says what the script itself said (its last `k8sprep:` message).
 */
async function runRenewScript(session: HostSession, phase: string, text: string, progress: RenewProgress, step: string): Promise<void> {
  const said: string[] = [];
  const result = await session.run(
    { phase, text },
    {
      onStdout: (line) => {
        // commit.sh's log is followed on stdout: its `k8sprep:` messages arrive there.
        if (!applyEvent(progress, line) && line.startsWith('k8sprep: ')) said.push(line.slice('k8sprep: '.length));
      },
    },
  );
  if (result.code !== 0) {
    const why = progress.failure ?? result.messages.at(-1) ?? said.at(-1) ?? `exited with status ${result.code}`;
    throw new HostError(session.host.name, why, step);
  }
}
