/**
 * What follows a renewal on this machine: the local state directory keeps what the hosts now
 * have, so `certs check` of the local PKI and `certs check --remote` agree, and the next
 * `node init`/`node join` places the renewed files rather than the old ones. Each renewed
 * control plane's tree `.k8sprep/<cluster>/pki/nodes/<host>/` gets the files the host got
 * (kubelet.conf excepted: a node tree never has one), and the local admin.conf the first
 * renewed host's admin credentials. A tree is left alone when the host's certificates were not signed by
 * the local PKI's CAs (it is not this PKI's host), or when there is no tree for the host.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../cluster/types.js';
import { parseKubeconfig } from '../pki/kubeconfig.js';
import { replaceClientCredentials } from '../pki/kubeconfig-credentials.js';
import { MODES, nodeRoot } from '../pki/layout.js';
import type { HostRenewalPlan, RenewFile } from '../pki/renew-plan.js';
import { writeFileAtomic } from '../util/fs.js';
import type { LocalTreeReport, RenewSummary } from './certs-renew-report.js';

function localMode(file: RenewFile): number {
  if (file.rel.endsWith('.key')) return MODES.key;
  if (file.rel.endsWith('.crt')) return MODES.cert;
  return MODES.kubeconfig;
}

/** The files of a renewal a node tree holds: everything but kubelet.conf. */
export function treeFiles(plan: HostRenewalPlan): RenewFile[] {
  return plan.files.filter((f) => f.rel !== 'kubelet.conf');
}

export async function refreshNodeTree(localPkiDir: string, host: Host, plan: HostRenewalPlan, dryRun: boolean): Promise<LocalTreeReport> {
  const path = join(localPkiDir, nodeRoot(host.name));
  const files = treeFiles(plan);
  if (!existsSync(path)) return { host: host.name, path, action: 'not-updated', files: 0, reason: 'the local PKI has no tree for this host' };
  const foreign = Object.entries(plan.caSources)
    .filter(([, source]) => source !== 'local')
    .map(([id]) => id);
  if (foreign.length > 0) {
    return {
      host: host.name,
      path,
      action: 'not-updated',
      files: 0,
      reason: `signed with the host's own ${foreign.join(', ')}, not the local PKI's: the tree is not this host's PKI`,
    };
  }
  if (dryRun) return { host: host.name, path, action: 'would-update', files: files.length };
  try {
    for (const f of files) await writeFileAtomic(join(path, f.rel), f.content, { mode: localMode(f) });
  } catch (err) {
    return { host: host.name, path, action: 'not-updated', files: 0, reason: (err as Error).message };
  }
  return { host: host.name, path, action: 'updated', files: files.length };
}

export async function updateLocalAdminConf(path: string, from: string, plan: HostRenewalPlan | undefined): Promise<RenewSummary['localAdminConf']> {
  const renewed = plan?.files.find((f) => f.rel === 'admin.conf');
  const creds = renewed ? parseKubeconfig(renewed.content) : undefined;
  if (!creds || typeof creds === 'string' || !creds.certPem || !creds.keyPem)
    return { path, action: 'not-updated', reason: `${from} has no renewed admin.conf` };
  try {
    const text = replaceClientCredentials(await readFile(path, 'utf8'), creds.certPem, creds.keyPem);
    await writeFileAtomic(path, text, { mode: MODES.kubeconfig });
    return { path, action: 'updated', from };
  } catch (err) {
    return { path, action: 'not-updated', reason: (err as Error).message };
  }
}
