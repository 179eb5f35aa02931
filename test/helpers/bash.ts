/** Running bash and shellcheck on rendered scripts, and a small bash quoting scanner. */
import { spawn, spawnSync } from 'node:child_process';

export interface BashResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Sends `script` on stdin to `bash -s -- ...args`, like the transports do. */
export function runBash(script: string, args: readonly string[] = [], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): BashResult {
  const r = spawnSync('bash', ['-s', '--', ...args], { input: script, encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? process.env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** runBash without blocking the event loop: for scripts that talk to servers in this process. */
export function runBashAsync(script: string, args: readonly string[] = []): Promise<BashResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-s', '--', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(script);
  });
}

/** `bash -n`: syntax only. */
export function bashSyntax(script: string): BashResult {
  const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Fails (never skips) when shellcheck is missing, naming the Debian package. */
export function requireShellcheck(env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) {
    throw new Error('shellcheck is not installed: install the Debian package `shellcheck` (apt-get install shellcheck); these tests do not skip without it');
  }
}

/** shellcheck on files; returns its gcc-style output (empty = clean) and status. */
export function shellcheck(files: readonly string[]): BashResult {
  const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', ...files], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export type QuoteState = 'plain' | 'single' | 'double' | 'comment' | 'heredoc-quoted' | 'heredoc';

/**
 * The quoting state bash would be in at each character of `script` (enough for what the
 * renderer emits: quotes, backslashes, comments, `<<'TAG'` / `<<TAG` heredocs).
 */
export function quoteStates(script: string): QuoteState[] {
  const states: QuoteState[] = [];
  const lines = script.split('\n');
  let heredocs: { tag: string; quoted: boolean }[] = [];
  let inHeredoc: { tag: string; quoted: boolean } | undefined;
  let state: 'plain' | 'single' | 'double' = 'plain';
  for (const line of lines) {
    if (inHeredoc) {
      const s: QuoteState = inHeredoc.quoted ? 'heredoc-quoted' : 'heredoc';
      for (let i = 0; i <= line.length; i++) states.push(line === inHeredoc.tag ? 'plain' : s);
      if (line === inHeredoc.tag) inHeredoc = heredocs.shift();
      continue;
    }
    let comment = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i] ?? '';
      if (comment) {
        states.push('comment');
        continue;
      }
      if (state === 'single') {
        states.push('single');
        if (c === "'") state = 'plain';
        continue;
      }
      if (state === 'double') {
        states.push('double');
        if (c === '\\') {
          states.push('double');
          i++;
        } else if (c === '"') state = 'plain';
        continue;
      }
      if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
        comment = true;
        states.push('comment');
        continue;
      }
      states.push('plain');
      if (c === '\\') {
        states.push('plain');
        i++;
      } else if (c === "'") {
        state = 'single';
        states[states.length - 1] = 'single';
      } else if (c === '"') {
        state = 'double';
        states[states.length - 1] = 'double';
      } else if (c === '<' && line[i + 1] === '<' && line[i + 2] !== '<') {
        const m = /^<<-?\s*(?:'([^']+)'|"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(i));
        if (m) heredocs.push({ tag: m[1] ?? m[2] ?? m[3] ?? '', quoted: m[3] === undefined });
      }
    }
    states.push(state === 'plain' ? 'plain' : state); // the newline
    if (state === 'plain' && heredocs.length > 0) {
      inHeredoc = heredocs.shift();
      heredocs = heredocs.slice(0);
    }
  }
  return states;
}

/** Where `needle` occurs in `script` outside single quotes, quoted heredocs and comments. */
export function unquotedOccurrences(script: string, needle: string): { line: number; state: QuoteState }[] {
  const states = quoteStates(script);
  const found: { line: number; state: QuoteState }[] = [];
  for (let at = script.indexOf(needle); at >= 0; at = script.indexOf(needle, at + 1)) {
    const inner = states.slice(at, at + needle.length);
    const safe = inner.every((s) => s === 'single' || s === 'heredoc-quoted' || s === 'comment');
    if (!safe) found.push({ line: script.slice(0, at).split('\n').length, state: inner.find((s) => s !== 'single' && s !== 'heredoc-quoted') ?? 'plain' });
  }
  return found;
}
