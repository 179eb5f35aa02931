/**
 * Per-host run logs: `.k8sprep/<cluster>/logs/<run-id>/<host>.log`, mode 0600, holding the
 * scripts (redacted) and every output line, with secret values scrubbed.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../util/fs.js';
import { scrubSecrets } from '../script/secrets.js';

export class HostLog {
  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly secrets: ReadonlyMap<string, string>,
  ) {}

  static async open(dir: string, host: string, secrets: ReadonlyMap<string, string>): Promise<HostLog> {
    await ensureDir(dir, 0o700);
    const path = join(dir, `${host}.log`);
    return new HostLog(path, createWriteStream(path, { flags: 'a', mode: 0o600 }), secrets);
  }

  line(text: string): void {
    this.stream.write(`${scrubSecrets(text, this.secrets)}\n`);
  }

  /** A timestamped line about the run itself (not host output). */
  event(text: string): void {
    this.line(`[k8sprep ${new Date().toISOString()}] ${text}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

export function runLogDir(stateDir: string, runId: string): string {
  return join(stateDir, 'logs', runId);
}

/** Sortable, filesystem- and shell-safe: 20261122T211500Z-1a2b. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}
