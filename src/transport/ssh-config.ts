/**
 * A deliberately small ~/.ssh/config reader: `Host` blocks (globs, `!` negation) with
 * IdentityFile, User and Port. `Match` blocks, `Include` and every other keyword are
 * ignored. The transport uses IdentityFile; User and Port are parsed for completeness
 * but the cluster file's values win (they are always set there, `root`/22 by default).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { matchHostPatterns } from './host-patterns.js';

export interface SshConfigBlock {
  /** Host patterns; `['*']` for options written before the first Host line. */
  patterns: string[];
  identityFiles: string[];
  user?: string;
  port?: number;
}

export interface SshConfigForHost {
  identityFiles: string[];
  user?: string;
  port?: number;
}

/** Splits `Key value`, `Key=value` and `Key "quoted value"`. */
function splitLine(line: string): [string, string[]] | undefined {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const args = [...m[2].matchAll(/"([^"]*)"|(\S+)/g)].map((a) => a[1] ?? a[2] ?? '');
  return [m[1].toLowerCase(), args];
}

export function parseSshConfig(text: string): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [];
  let current: SshConfigBlock | undefined = { patterns: ['*'], identityFiles: [] };
  blocks.push(current);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = splitLine(line);
    if (!parsed) continue;
    const [key, args] = parsed;
    if (key === 'host') {
      current = { patterns: args, identityFiles: [] };
      blocks.push(current);
    } else if (key === 'match') {
      // Match criteria are not evaluated: its options must not leak into a Host block.
      current = undefined;
    } else if (current && args[0] !== undefined) {
      if (key === 'identityfile') current.identityFiles.push(args[0]);
      else if (key === 'user') current.user ??= args[0];
      else if (key === 'port' && /^\d+$/.test(args[0])) current.port ??= Number(args[0]);
    }
  }
  return blocks;
}

/** Like ssh: the first User/Port obtained wins, IdentityFiles accumulate in order. */
export function sshConfigFor(blocks: readonly SshConfigBlock[], host: string): SshConfigForHost {
  const out: SshConfigForHost = { identityFiles: [] };
  for (const b of blocks) {
    if (!matchHostPatterns(host, b.patterns)) continue;
    out.identityFiles.push(...b.identityFiles);
    if (b.user !== undefined) out.user ??= b.user;
    if (b.port !== undefined) out.port ??= b.port;
  }
  return out;
}

/** Expands `~`, `%d` (home), `%h` (host), `%r` (remote user), `%u` (local user) and `%%` in an IdentityFile. */
export function expandIdentityPath(path: string, ctx: { home: string; host: string; remoteUser: string; localUser: string }): string {
  const expanded = path.replace(/%([%dhru])/g, (_, c: string) =>
    c === '%' ? '%' : c === 'd' ? ctx.home : c === 'h' ? ctx.host : c === 'r' ? ctx.remoteUser : ctx.localUser,
  );
  if (expanded === '~') return ctx.home;
  if (expanded.startsWith('~/')) return join(ctx.home, expanded.slice(2));
  return resolve(expanded);
}

/** ~/.ssh/config's settings for `host`; none when the file is missing or unreadable. */
export async function readSshConfigFor(home: string, host: string): Promise<SshConfigForHost> {
  try {
    return sshConfigFor(parseSshConfig(await readFile(join(home, '.ssh', 'config'), 'utf8')), host);
  } catch {
    return { identityFiles: [] };
  }
}
