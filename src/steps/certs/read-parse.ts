/**
 * Parses the read script's stdout (read-script.ts) into files by path relative to
 * /etc/kubernetes. Every stdout line of that script is protocol or base64 of a file that
 * may be a private key: callers hand all of them here and log none of them.
 */
import { createHash } from 'node:crypto';
import type { HostFile } from '../../pki/host-files.js';
import { READ_MARK } from './read.js';

export interface PendingRenewal {
  runId: string;
  /** staged: interrupted before the swap (rolled back); committed: after (rolled forward). */
  state: 'staged' | 'committed';
}

export interface HostPkiFiles {
  files: Map<string, HostFile>;
  pending: PendingRenewal[];
  /** /etc/kubernetes does not exist on the host. */
  noKubeDir: boolean;
}

const HEADER = new RegExp(`^${READ_MARK.file} ([0-7]{3,4}) (\\d+:\\d+) (.+)$`);
const PENDING = new RegExp(`^${READ_MARK.pending} (\\S+) (staged|committed)$`);

export class ReadOutputParser {
  private readonly files = new Map<string, HostFile>();
  private readonly pending: PendingRenewal[] = [];
  private noKubeDir = false;
  private current: { path: string; mode: number; owner: string; chunks: string[] } | undefined;
  private malformed: string | undefined;

  line(text: string): void {
    if (this.current) {
      if (text === READ_MARK.end) {
        const { path, mode, owner, chunks } = this.current;
        const bytes = Buffer.from(chunks.join(''), 'base64');
        this.files.set(path, { path, mode, owner, text: bytes.toString('utf8'), sha256: createHash('sha256').update(bytes).digest('hex') });
        this.current = undefined;
      } else if (/^[A-Za-z0-9+/=]*$/.test(text)) {
        this.current.chunks.push(text);
      } else {
        // Never quote the line: it sits in the middle of a file that may be a key.
        this.malformed ??= `unexpected output inside ${this.current.path}`;
      }
      return;
    }
    const header = HEADER.exec(text);
    if (header) {
      this.current = { mode: parseInt(header[1] ?? '0', 8), owner: header[2] ?? '', path: header[3] ?? '', chunks: [] };
      return;
    }
    const pending = PENDING.exec(text);
    if (pending) this.pending.push({ runId: pending[1] ?? '', state: pending[2] as PendingRenewal['state'] });
    else if (text.startsWith(READ_MARK.none)) this.noKubeDir = true;
  }

  /** The files read; throws when the output stopped inside a file or was garbled. */
  result(): HostPkiFiles {
    if (this.current) throw new Error(`the output ended inside ${this.current.path}`);
    if (this.malformed) throw new Error(this.malformed);
    return { files: this.files, pending: this.pending, noKubeDir: this.noKubeDir };
  }
}
