/**
 * Where existing PKI files come from: a local directory, or a map of relative path ->
 * contents (files read over SSH by the remote check and renew). Paths are `/`-separated
 * and relative.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type FileSource = string | ReadonlyMap<string, string | Uint8Array>;

export interface ExistingFile {
  text: string;
  /** Permission bits, when the source is a directory. */
  mode?: number;
}

export interface FileReader {
  /** undefined when the file does not exist; throws when it exists but cannot be read. */
  read(rel: string): Promise<ExistingFile | undefined>;
  /** How to name the file in messages. */
  describe(rel: string): string;
}

export function fileReader(source: FileSource): FileReader {
  if (typeof source === 'string') {
    return {
      async read(rel) {
        const path = join(source, rel);
        try {
          const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
          return { text, mode: st.mode & 0o777 };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
        }
      },
      describe: (rel) => join(source, rel),
    };
  }
  return {
    async read(rel) {
      const value = source.get(rel);
      if (value === undefined) return undefined;
      return { text: typeof value === 'string' ? value : Buffer.from(value).toString('utf8') };
    },
    describe: (rel) => rel,
  };
}

/** Reads many files at once; missing ones map to undefined. */
export async function readMany(reader: FileReader, paths: readonly string[]): Promise<Map<string, ExistingFile | undefined>> {
  const entries = await Promise.all(paths.map(async (p) => [p, await reader.read(p)] as const));
  return new Map(entries);
}
