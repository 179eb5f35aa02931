/**
 * Runs one renewal script (apply or recover) on a host: secrets filled in, events parsed
 * into the progress, every line logged scrubbed, the script's own error message kept.
 */
import { HostError } from '../../errors.js';
import type { HostLog } from '../../run/log.js';
import { fillSecrets, redactSecrets, scrubSecrets } from '../../script/secrets.js';
import type { Transport } from '../../transport/types.js';
import { applyEvent, type RenewProgress } from './progress.js';

export interface SessionOptions {
  transport: Transport;
  runId: string;
  step: string;
  secrets: ReadonlyMap<string, string>;
  progress: RenewProgress;
  log?: HostLog | undefined;
  onOutput?: ((line: string) => void) | undefined;
}

/** Resolves when the script exited 0; throws HostError (with the script's `k8sprep:` message) otherwise. */
export async function runRenewScript(script: string, opts: SessionOptions): Promise<void> {
  const { transport, log, secrets } = opts;
  const messages: string[] = [];
  log?.event(`${opts.step}: script follows`);
  log?.line(redactSecrets(script));
  const onLine = (stream: 'stdout' | 'stderr') => (raw: string) => {
    const line = scrubSecrets(raw, secrets);
    log?.line(stream === 'stderr' ? `[stderr] ${line}` : line);
    opts.onOutput?.(line);
    if (!applyEvent(opts.progress, line) && line.startsWith('k8sprep: ')) messages.push(line.slice('k8sprep: '.length));
  };
  const code = await transport.runScript(fillSecrets(script, secrets), [opts.runId], {
    onStdoutLine: onLine('stdout'),
    onStderrLine: onLine('stderr'),
  });
  if (code !== 0) {
    const why = opts.progress.failure ?? messages[messages.length - 1] ?? `exited with status ${code}`;
    throw new HostError(transport.hostName, why, opts.step);
  }
}
