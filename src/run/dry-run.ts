/**
 * `--dry-run`: every script the run would send, per host in cluster-file order, phase by phase
 * (DESIGN §1). Sessions hand their scripts here instead of running them; at the end each is
 * printed after its header line, or with `--out DIR` written to `DIR/<host>/<NN>-<phase>.sh`
 * (NN in run order). Secrets stay `<redacted:NAME>` unless --show-secrets: then the bytes are
 * the run's own, and the files holding them are 0700 instead of 0755.
 */
import { join } from 'node:path';
import type { Host } from '../cluster/types.js';
import { fillSecrets, redactSecrets } from '../script/secrets.js';
import { writeFileAtomic } from '../util/fs.js';

interface Collected {
  phase: string;
  text: string;
  secrets: ReadonlyMap<string, string>;
}

export interface DryRunOutput {
  out?: string | undefined;
  showSecrets: boolean;
  write: (text: string) => void;
}

/** The line before each script a dry run prints. */
export function scriptHeader(host: { name: string; address: string }, phase: string): string {
  return `# k8sprep host=${host.name} address=${host.address} phase=${phase}`;
}

/** The bytes a dry run shows for a script: the run's own with the secrets' values (`secrets` given: --show-secrets), else redacted. */
export function dryRunBytes(text: string, secrets: ReadonlyMap<string, string> | undefined): string {
  return secrets ? fillSecrets(text, secrets) : redactSecrets(text);
}

export class DryRunCollector {
  private readonly byHost = new Map<string, Collected[]>();

  /** `readsHosts`: the action's read-only scripts run even in the dry run (certs renew reads the hosts it plans for). */
  constructor(readonly readsHosts = false) {}

  add(host: Host, phase: string, text: string, secrets: ReadonlyMap<string, string>): void {
    const list = this.byHost.get(host.name) ?? [];
    list.push({ phase, text, secrets });
    this.byHost.set(host.name, list);
  }

  /** Prints (or writes) every collected script of `hosts`, in that order. */
  async emit(hosts: readonly Host[], output: DryRunOutput): Promise<void> {
    for (const host of hosts) {
      const scripts = this.byHost.get(host.name) ?? [];
      for (const [i, s] of scripts.entries()) {
        const bytes = dryRunBytes(s.text, output.showSecrets ? s.secrets : undefined);
        if (!output.out) {
          output.write(`${scriptHeader(host, s.phase)}\n${bytes}`);
          continue;
        }
        const file = join(output.out, host.name, `${String(i + 1).padStart(2, '0')}-${s.phase}.sh`);
        await writeFileAtomic(file, bytes, { mode: output.showSecrets ? 0o700 : 0o755, dirMode: 0o700 });
        output.write(`${file}\n`);
      }
    }
  }
}
