/** The outcome of `certs renew`: per host what was and was not replaced (printed by src/output/renew-summary.ts). */
import type { LeftFile } from '../pki/renew-plan.js';
import type { CaId } from '../pki/spec.js';

export type HostRenewStatus = 'renewed' | 'failed' | 'not-run' | 'planned';

export interface HostRenewReport {
  host: string;
  address: string;
  status: HostRenewStatus;
  /** connect | read | recover | plan | apply */
  failedStep?: string;
  error?: string;
  /** For failures: how far the renewal got (before or after the commit point, ...). */
  reached?: string;
  /** Files the host confirmed replaced. */
  replaced: string[];
  /** Files planned but not confirmed replaced. */
  notReplaced: string[];
  left: LeftFile[];
  notes: string[];
  caSources: Partial<Record<CaId, 'local' | 'host'>>;
  /** Interrupted earlier renewals this run finished first. */
  recovered: { runId: string; direction: 'forward' | 'back' }[];
  backupDir?: string;
  /** The renewal's journal on the host. */
  journal?: string;
  /** NotAfter of the new certificates. */
  notAfter?: string;
  logPath?: string;
  durationMs: number;
}

export interface RenewSummary {
  runId: string;
  dryRun: boolean;
  ok: boolean;
  validityHours: number;
  hosts: HostRenewReport[];
  /** The local PKI's node trees of the renewed hosts (`pki/nodes/<host>/`), when the local PKI exists. */
  localTrees?: LocalTreeReport[];
  /** .k8sprep/<cluster>/admin.conf, when it exists. */
  localAdminConf?: { path: string; action: 'updated' | 'would-update' | 'not-updated'; from?: string; reason?: string };
}

export interface LocalTreeReport {
  host: string;
  path: string;
  action: 'updated' | 'would-update' | 'not-updated';
  /** Files written (or that would be). */
  files: number;
  reason?: string;
}

export function emptyReport(host: { name: string; address: string }, status: HostRenewStatus): HostRenewReport {
  return { host: host.name, address: host.address, status, replaced: [], notReplaced: [], left: [], notes: [], caSources: {}, recovered: [], durationMs: 0 };
}
