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

/** Prints every script (or writes DIR/<host>/<NN>-<phase>.sh); `secrets` only with --show-secrets. */
export async function emitDryRun(
  plans: readonly HostPlan[],
  opts: { out?: string; secrets?: ReadonlyMap<string, string>; write: (text: string) => void },
): Promise<void> {
  for (const plan of plans) {
    for (const script of plan.scripts) {
      const bytes = dryRunBytes(script.text, opts.secrets);
      if (opts.out) {
        const file = join(opts.out, plan.host.name, script.fileName);
        await writeFileAtomic(file, bytes, { mode: 0o755, dirMode: 0o700 });
        opts.write(`${file}\n`);
      } else {
        opts.write(`${scriptHeader(plan, script.phase.id)}\n${bytes}`);
      }
    }
  }
}
