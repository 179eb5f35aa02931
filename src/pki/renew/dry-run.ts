/**
 * `certs renew --dry-run`: each host's scripts, as they would be sent, in roll-out order,
 * with the header the other dry runs print; keys and certificates `<redacted:NAME>` unless
 * --show-secrets. With --out DIR: DIR/<host>/<NN>-<phase>.sh instead (0700 with secrets).
 */
import { join } from 'node:path';
import type { Host } from '../../cluster/types.js';
import { dryRunBytes, hostScriptHeader } from '../../run/dry-run.js';
import { writeFileAtomic } from '../../util/fs.js';

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
      const bytes = dryRunBytes(text, opts.showSecrets ? secrets : undefined);
      if (!opts.out) return opts.write(`${hostScriptHeader(host, phase)}\n${bytes}`);
      const n = (counts.get(host.name) ?? 0) + 1;
      counts.set(host.name, n);
      const file = join(opts.out, host.name, `${String(n).padStart(2, '0')}-${phase}.sh`);
      writes.push(writeFileAtomic(file, bytes, { mode: opts.showSecrets ? 0o700 : 0o755, dirMode: 0o700 }).then(() => opts.write(`${file}\n`)));
    },
    async flush() {
      await Promise.all(writes);
    },
  };
}
