/**
 * The files a rendered script writes, read back out of it: the quoted heredoc that feeds
 * `k8sprep_write_file PATH` (directly, or through `k8sprep_fill`, whose markers are returned with
 * it). What a host would receive, without running anything.
 */
export interface WrittenFile {
  path: string;
  mode: string;
  content: string;
  /** Markers the host fills in (`k8sprep_fill MARKER "$value"`), by marker. */
  fill: Record<string, string>;
}

const WRITE =
  /^\s*(k8sprep_fill(?: [A-Z0-9_]+ "[^"]*")*\s*)?(?:k8sprep_write_file (\S+) (\d+) )?<<'(K8SPREP_EOF(?:_\d+)?)'(?: \| k8sprep_write_file (\S+) (\d+))?\s*$/;

/** Every file `script` writes, in order (a path written twice appears twice). */
export function writtenFiles(script: string): WrittenFile[] {
  const lines = script.split('\n');
  const out: WrittenFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = WRITE.exec(lines[i] ?? '');
    const path = m?.[2] ?? m?.[5];
    if (!m || !path) continue;
    const tag = m[4] ?? '';
    const end = lines.indexOf(tag, i + 1);
    if (end < 0) throw new Error(`heredoc ${tag} for ${path} does not end`);
    const fill: Record<string, string> = {};
    for (const f of (m[1] ?? '').matchAll(/([A-Z0-9_]+) "([^"]*)"/g)) fill[f[1] ?? ''] = f[2] ?? '';
    out.push({ path, mode: m[3] ?? m[6] ?? '', content: `${lines.slice(i + 1, end).join('\n')}\n`, fill });
    i = end;
  }
  return out;
}

/** The one file at `path` the script writes (fails when there is none, or several different ones). */
export function writtenFile(script: string, path: string): WrittenFile {
  const all = writtenFiles(script).filter((f) => f.path === path);
  if (all.length === 0) throw new Error(`the script writes no ${path}`);
  if (new Set(all.map((f) => f.content)).size > 1) throw new Error(`the script writes ${path} with different contents`);
  return all[0]!;
}
