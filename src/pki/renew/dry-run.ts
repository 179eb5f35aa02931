/**
 * `certs renew --dry-run`: each host's scripts, as they would be sent, in roll-out order,
 * with the header the other dry runs print; keys and certificates `<redacted:NAME>` unless
 * --show-secrets. With --out DIR: DIR/<host>/<NN>-<phase>.sh instead (0700 with secrets).
 */
import type { Host } from '../../cluster/types.js';
import { emitDryRunScript } from '../../run/dry-run.js';

export interface RenewDryRun {
  onScript(host: Host, phase: string, text: string, secrets: ReadonlyMap<string, string>): void;
  /** Waits for the files written with --out. */
  flush(): Promise<void>;
}

export function renewDryRun(opts: { out?: string | undefined; showSecrets: boolean; write: (text: string) => void }): RenewDryRun {
  const counts = new Map<string, number>();
  const writes: Promise<void>[] = [];
  return {
    onScript(host, phase, text, secrets) {
      // Numbered as they come: a host's scripts are known only once it has been read.
      const n = (counts.get(host.name) ?? 0) + 1;
      counts.set(host.name, n);
      const fileName = `${String(n).padStart(2, '0')}-${phase}.sh`;
      writes.push(emitDryRunScript({ host, phaseId: phase, fileName, text }, { out: opts.out, secrets: opts.showSecrets ? secrets : undefined, write: opts.write }));
    },
    async flush() {
      await Promise.all(writes);
    },
  };
}
