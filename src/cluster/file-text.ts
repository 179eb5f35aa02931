/**
 * Reads a cluster file as text, refusing before any parsing what cannot be one: a file
 * over the size limit (at most limit + 1 bytes are read, whatever the file's size), and
 * binary content — bytes that are not UTF-8, or control characters YAML does not allow.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** Far above any real cluster file (a 500-host file is about 50 KiB). */
export const MAX_CLUSTER_FILE_BYTES = 1024 * 1024;

const UNREADABLE: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory, not a cluster file', EACCES: 'permission denied' };

async function readAtMost(path: string, limit: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    let length = 0;
    // A pipe or device hands out a little at a time; read until the limit or the end.
    while (length < limit) {
      const { bytesRead } = await file.read(buffer, length, limit - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await file.close();
  }
}

/**
 * Outside YAML 1.2's printable set: C0 controls but tab, LF and CR; DEL; C1 controls but
 * NEL; U+FFFE/U+FFFF. And U+FFFD, which the decoder puts where bytes are not UTF-8 (a real
 * U+FFFD in the file is told apart by its bytes).
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFD-\uFFFF]/gu;
const REPLACEMENT = Buffer.from('\uFFFD', 'utf8');

/** Where the first byte that cannot be YAML text is: byte (1-based), line and column. */
export function binaryContentAt(bytes: Buffer): { byte: number; line: number; col: number } | undefined {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  let index = 0;
  let offset = 0;
  for (const m of text.matchAll(NOT_TEXT)) {
    offset += Buffer.byteLength(text.slice(index, m.index), 'utf8');
    index = m.index;
    if (m[0] === '\uFFFD' && bytes.subarray(offset, offset + REPLACEMENT.length).equals(REPLACEMENT)) continue;
    const before = text.slice(0, index);
    const lineStart = before.lastIndexOf('\n') + 1;
    return { byte: offset + 1, line: before.split('\n').length, col: [...before.slice(lineStart)].length + 1 };
  }
  return undefined;
}

/** The text of the cluster file at `absolute`; `shown` is its name in messages. */
export async function readClusterFileText(absolute: string, shown: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(absolute, MAX_CLUSTER_FILE_BYTES + 1);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw InputError.single('--config', `${shown}: ${(code && UNREADABLE[code]) ?? `cannot read (${code ?? String(err)})`}`);
  }
  if (bytes.length > MAX_CLUSTER_FILE_BYTES) {
    throw InputError.single(shown, `larger than ${MAX_CLUSTER_FILE_BYTES / 1024 / 1024} MiB, the limit for a cluster file; not read`);
  }
  const binary = binaryContentAt(bytes);
  if (binary) {
    throw new InputError([{ file: shown, line: binary.line, col: binary.col, reason: `not a YAML text file (binary content at byte ${binary.byte})` }]);
  }
  return bytes.toString('utf8');
}
