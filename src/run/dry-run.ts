/** `--dry-run`: the exact scripts, per host in cluster-file order, phase by phase. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { fillSecrets, redactSecrets } from '../script/secrets.js';
import type { HostPlan } from './plan.js';

export function scriptHeader(plan: HostPlan, phaseId: string): string {
  return hostScriptHeader(plan.host, phaseId);
}

/** The line before each script a dry run prints. */
export function hostScriptHeader(host: { name: string; address: string }, phaseId: string): string {
  return `# k8sprep host=${host.name} address=${host.address} phase=${phaseId}`;
}

export function dryRunBytes(text: string, secrets: ReadonlyMap<string, string> | undefined): string {
  return secrets ? fillSecrets(text, secrets) : redactSecrets(text);
}

/**
 * One script of a dry run: printed after its header, or with `out` written to
 * `out/<host>/<fileName>` (0700 when it holds secrets shown with --show-secrets, else 0755).
 * Printing happens before the first await, so callers that do not wait keep the order.
 */
export async function emitDryRunScript(
  script: { host: { name: string; address: string }; phaseId: string; fileName: string; text: string },
  opts: { out?: string | undefined; secrets?: ReadonlyMap<string, string> | undefined; write: (text: string) => void },
): Promise<void> {
  const bytes = dryRunBytes(script.text, opts.secrets);
  if (!opts.out) {
    opts.write(`${hostScriptHeader(script.host, script.phaseId)}\n${bytes}`);
    return;
  }
  const file = join(opts.out, script.host.name, script.fileName);
  await writeFileAtomic(file, bytes, { mode: opts.secrets ? 0o700 : 0o755, dirMode: 0o700 });
  opts.write(`${file}\n`);
}

/** Prints every script (or writes DIR/<host>/<NN>-<phase>.sh); `secrets` only with --show-secrets. */
export async function emitDryRun(
  plans: readonly HostPlan[],
  opts: { out?: string; secrets?: ReadonlyMap<string, string>; write: (text: string) => void },
): Promise<void> {
  for (const plan of plans) {
    for (const script of plan.scripts) {
      await emitDryRunScript({ host: plan.host, phaseId: script.phase.id, fileName: script.fileName, text: script.text }, opts);
    }
  }
}
