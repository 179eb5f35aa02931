/**
 * What every benchmark part shares: medians and ratios, the targets table, tool checks
 * that name the Debian package, and child processes the bench can always end (each is
 * spawned in its own process group and killed by that PID on Ctrl-C or error).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Log = (line: string) => void;

export const stdoutLog: Log = (line) => process.stdout.write(`${line}\n`);

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Milliseconds as a short human reading: "840 ms", "12.3 s". */
export function fmtMs(ms: number): string {
  const abs = Math.abs(ms);
  return abs < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
}

/** A difference with its sign: "+680 ms", "-28.8 s" (a contender can beat the floor within noise). */
export function fmtDeltaMs(ms: number): string {
  return `${ms < 0 ? '' : '+'}${fmtMs(ms)}`;
}

/** The list rotated by i: sample i runs the contenders in a different order, so drift hits them alike. */
export function rotate<T>(xs: readonly T[], i: number): T[] {
  const k = xs.length === 0 ? 0 : i % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** One target from an issue: `ratio` against `goal` (`<=`: at most, `>=`: at least). */
export interface Target {
  part: string;
  label: string;
  ratio: number;
  op: '<=' | '>=';
  goal: number;
  met: boolean;
}

export function target(part: string, label: string, ratio: number, op: '<=' | '>=', goal: number): Target {
  return { part, label, ratio, op, goal, met: op === '<=' ? ratio <= goal : ratio >= goal };
}

export function targetLine(t: Target): string {
  const want = t.op === '<=' ? `target <= ${t.goal}x` : `target >= ${t.goal}x`;
  return `${t.label} = ${t.ratio.toFixed(2)}x  (${want}: ${t.met ? 'met' : 'NOT met'})`;
}

/** Plain-text table: the first row is the header; the last column is left unpadded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Throws, naming the Debian package, when `command` is not on PATH. */
export function requireCommand(command: string, pkg: string): void {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter);
  for (const dir of [...dirs, '/usr/sbin', '/sbin']) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${command} is missing: apt-get install ${pkg}`);
}

// ---- child processes and cleanup -------------------------------------------------------

const children = new Set<number>();
const cleanups = new Set<() => Promise<void>>();

/** Registers `fn` to run if the bench is interrupted; returns its removal. */
export function onAbort(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

let aborting: Promise<void> | undefined;

/** True once abortAll() has started: failures after it are the abort's doing. */
export function isAborting(): boolean {
  return aborting !== undefined;
}

/** Kills every running child's process group (by its PID) and runs the cleanups (stopping fleets); once. */
export function abortAll(): Promise<void> {
  aborting ??= (async () => {
    for (const pid of children) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await Promise.allSettled([...cleanups].map((fn) => fn()));
  })();
  return aborting;
}

/** `fn` run at most once; every call gets the same promise (so an abort waits for a stop already under way). */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** With `cpu`: user + system CPU of the command and every descendant it waited for. */
  cpuMs?: number;
}

export interface ProcOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Measure the command's CPU time too (it runs under a bash whose `times` reports it on fd 3). */
  cpu?: boolean;
}

const CPU_WRAPPER = '"$@"; rc=$?; times >&3; exit $rc';
/**
 * --norc: Node gives children socketpairs for stdio, and bash takes a socket on stdin for
 * rshd's and sources ~/.bashrc (here: pyenv init, seconds under load) unless told not to.
 */
const WRAPPER_BASH = ['--norc', '-c', CPU_WRAPPER, 'bench-cpu'];

/** bash's `times`: the shell's own line, then its children's `0m1.234s 0m0.567s`. */
function parseTimes(text: string): number | undefined {
  const children = text.trim().split('\n')[1] ?? '';
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  return parts.length === 2 ? (parts[0] ?? 0) + (parts[1] ?? 0) : undefined;
}

/**
 * Runs a command to completion and times it (spawn to exit, output drained). Detached: its
 * own process group, so a Ctrl-C on the terminal reaches the bench only, and abortAll()
 * ends the whole group by its PID.
 */
export function runProcess(command: string, args: readonly string[], opts: ProcOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const [cmd, argv] = opts.cpu ? ['bash', [...WRAPPER_BASH, command, ...args]] : [command, args];
    const stdio = opts.cpu ? (['pipe', 'pipe', 'pipe', 'pipe'] as const) : (['pipe', 'pipe', 'pipe'] as const);
    const child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: [...stdio] });
    const pid = child.pid;
    if (pid !== undefined) children.add(pid);
    let stdout = '';
    let stderr = '';
    let times = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    (child.stdio[3] as NodeJS.ReadableStream | undefined)?.setEncoding('utf8').on('data', (d: string) => (times += d));
    child.stdin.on('error', () => undefined); // a child that exits without reading its input
    child.stdin.end(opts.input ?? '');
    child.on('error', (err) => {
      if (pid !== undefined) children.delete(pid);
      reject(err);
    });
    child.on('close', (code) => {
      if (pid !== undefined) children.delete(pid);
      const result: ProcResult = { code, stdout, stderr, ms: performance.now() - start };
      const cpuMs = opts.cpu ? parseTimes(times) : undefined;
      if (cpuMs !== undefined) result.cpuMs = cpuMs;
      resolve(result);
    });
  });
}

/** runProcess, failing with the command's output when it exits non-zero. */
export async function runOk(command: string, args: readonly string[], opts: ProcOptions = {}): Promise<ProcResult> {
  const r = await runProcess(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}:\n${tail(r.stdout + r.stderr)}`);
  return r;
}

/** The last lines of a command's output, for error messages. */
export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
