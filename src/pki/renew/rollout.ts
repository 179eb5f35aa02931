/**
 * `certs renew` across control planes, one at a time in cluster-file order: the next host
 * starts only after the previous one's apiserver answered /healthz. The first failure stops
 * the roll-out (the hosts after it keep their working certificates). A dry run reads every
 * host (read-only) and goes on past failures. After the first renewed host, the local
 * `.k8sprep/<cluster>/admin.conf` (when there is one) gets its new admin credentials.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Host } from '../../cluster/types.js';
import type { Transport } from '../../transport/types.js';
import { writeFileAtomic } from '../../util/fs.js';
import { parseKubeconfig } from '../kubeconfig.js';
import { MODES } from '../layout.js';
import { type HostRenewResult, renewHost, type RenewHostOptions } from './host.js';
import { replaceClientCredentials } from './kubeconfig-credentials.js';
import { emptyReport, type RenewSummary } from './report.js';

export interface RolloutOptions extends Omit<RenewHostOptions, 'transport' | 'onOutput' | 'onProgress' | 'onScript'> {
  transportFor(host: Host): Transport;
  onOutput?: (host: Host, line: string) => void;
  onProgress?: (host: Host, message: string) => void;
  onScript?: (host: Host, phase: string, text: string, secrets: ReadonlyMap<string, string>) => void;
}

async function updateLocalAdminConf(path: string, result: HostRenewResult): Promise<RenewSummary['localAdminConf']> {
  const from = result.report.host;
  const renewed = result.plan?.files.find((f) => f.rel === 'admin.conf');
  const creds = renewed ? parseKubeconfig(renewed.content) : undefined;
  if (!creds || typeof creds === 'string' || !creds.certPem || !creds.keyPem) return { path, action: 'not-updated', reason: `${from} has no renewed admin.conf` };
  try {
    const text = replaceClientCredentials(await readFile(path, 'utf8'), creds.certPem, creds.keyPem);
    await writeFileAtomic(path, text, { mode: MODES.kubeconfig });
    return { path, action: 'updated', from };
  } catch (err) {
    return { path, action: 'not-updated', reason: (err as Error).message };
  }
}

export async function renewRollout(cluster: Cluster, hosts: readonly Host[], opts: RolloutOptions): Promise<RenewSummary> {
  const summary: RenewSummary = { runId: opts.runId, dryRun: opts.dryRun, ok: true, validityHours: opts.validityHours, hosts: [] };
  const adminConf = join(cluster.stateDir, 'admin.conf');
  let stopped = false;
  for (const host of hosts) {
    if (stopped || opts.signal?.aborted) {
      summary.hosts.push(emptyReport(host, 'not-run'));
      continue;
    }
    const result = await renewHost(host, {
      ...opts,
      transport: opts.transportFor(host),
      onOutput: (line) => opts.onOutput?.(host, line),
      onProgress: (m) => opts.onProgress?.(host, m),
      onScript: (phase, text, secrets) => opts.onScript?.(host, phase, text, secrets),
    });
    summary.hosts.push(result.report);
    if (result.report.status === 'failed') {
      summary.ok = false;
      stopped = !opts.dryRun;
    } else if (!summary.localAdminConf && existsSync(adminConf)) {
      summary.localAdminConf = opts.dryRun ? { path: adminConf, action: 'would-update', from: host.name } : await updateLocalAdminConf(adminConf, result);
    }
  }
  return summary;
}
