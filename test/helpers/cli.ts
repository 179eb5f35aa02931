/**
 * Runs the built CLI (`node bin/run.js ...`) as a user would, and the small fixtures the
 * bad-input tests need: a temp working directory, a loopback listener that counts
 * connections ("nothing contacted"), and a directory listing ("nothing written").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'bin', 'run.js');
export const EXAMPLES = join(REPO, 'examples');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function walk(dir: string, ext: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, ext, out);
    else if (entry.name.endsWith(ext)) out.push(path);
  }
  return out;
}

/** src files the commands load: the relative-import closure of src/commands (other work in progress is ignored). */
function commandSources(): string[] {
  const seen = new Set<string>();
  const queue = walk(join(REPO, 'src', 'commands'), '.ts');
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)\.js'/g)) queue.push(join(dirname(file), `${m[1]}.ts`));
  }
  return [...seen];
}

function staleOutputs(): string[] {
  const stale: string[] = [];
  for (const src of commandSources()) {
    const rel = relative(join(REPO, 'src'), src).replace(/\.ts$/, '.js');
    const out = join(REPO, 'dist', rel);
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) stale.push(`src/${relative(join(REPO, 'src'), src)}`);
  }
  const manifest = join(REPO, 'oclif.manifest.json');
  if (!existsSync(manifest)) stale.push('oclif.manifest.json (missing)');
  return stale;
}

/**
 * The CLI tests exercise dist/, which `npm test` builds before jest starts (tests never build
 * into the checkout themselves): when it is missing or older than src/, fail — never skip — and
 * say how to build it, so a stale build never passes for the current code.
 */
export function assertBuilt(): void {
  const stale = staleOutputs();
  if (stale.length > 0) {
    throw new Error(
      `dist/ is not built from the current sources (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}): ` +
        'run `npm run build` (npm test does) and look at its errors',
    );
  }
}

export interface CliOptions {
  cwd: string;
  home?: string;
  env?: Record<string, string>;
}

/** A CLI process still running: its output so far, and its result once it exits. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  result: Promise<CliResult>;
}

/** Starts `node bin/run.js ...args` in `cwd`, with a throwaway HOME, CI=true and no stdin. */
export function startCli(args: readonly string[], opts: CliOptions): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: opts.home ?? opts.cwd,
      CI: 'true',
      NO_COLOR: '1',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, result };
}

/** `node bin/run.js ...args` in `cwd`, with a throwaway HOME, CI=true and no stdin. */
export function runCli(args: readonly string[], opts: CliOptions): Promise<CliResult> {
  return startCli(args, opts).result;
}

export function tempDir(prefix = 'k8sprep-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Every file and directory under `dir`, relative, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      out.push(relative(dir, path) + (entry.isDirectory() ? '/' : ''));
      if (entry.isDirectory()) visit(path);
    }
  };
  visit(dir);
  return out.sort();
}

/** A TCP listener on a loopback address that records every connection it receives. */
export interface Listener {
  host: string;
  port: number;
  connections(): number;
  close(): Promise<void>;
}

export function startListener(host = '127.0.0.97'): Promise<Listener> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      count++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.destroy();
    });
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('listener has no port'));
      resolve({
        host,
        port: address.port,
        connections: () => count,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Lets pending `connection` events reach the listener before counting them. */
export function settle(ms = 100): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
