/**
 * Runs the built CLI on a real pseudo-terminal, as an operator's terminal would: util-linux
 * `script` allocates the pty (stdin, stdout and stderr are all the terminal), relays what
 * the test writes to it as keystrokes, and copies everything the terminal shows back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { shq } from '../../src/script/quote.js';
import { BIN, type CliOptions, type CliResult } from './cli.js';

export interface PtyCli {
  /** Everything the terminal showed so far, escape sequences removed. */
  screen(): string;
  /** The same with its escape sequences (colours, cursor moves). */
  raw(): string;
  /** Types `text` (use "\r" for Enter). */
  type(text: string): void;
  /** Resolves once the screen matches; rejects after `timeoutMs` with what it showed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  result: Promise<CliResult>;
  /** Ends the terminal (its CLI gets SIGHUP) if it still runs: for a test that failed halfway. */
  kill(): void;
}

/** CSI / OSC sequences and the carriage returns of redraws. */
export function stripAnsi(text: string): string {
  return text
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\u001b\][^\u0007]*\u0007/g, '')
    .replace(/\r/g, '');
}

/** A flag (`--only`, `-c`, `--out=DIR`) is script text, its value and every other word go through shq (which refuses option-like words). */
function cliWord(arg: string): string {
  const flag = /^(--?[A-Za-z][-A-Za-z]*)(=(.*))?$/s.exec(arg);
  if (!flag) return shq(arg);
  return flag[3] === undefined ? (flag[1] ?? '') : `${flag[1] ?? ''}=${shq(flag[3])}`;
}

export function startCliInPty(args: readonly string[], opts: CliOptions): PtyCli {
  if (spawnSync('script', ['--version']).error) throw new Error('the terminal tests need util-linux script(1): apt-get install bsdutils');
  // A 200x50 terminal: `script` copies the size of its own stdin, which is a pipe here.
  const command = `stty cols 200 rows 50; exec ${[shq(process.execPath), shq(BIN), ...args.map(cliWord)].join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.home ?? opts.cwd, TERM: 'xterm-256color', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    raw += d;
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      for (const w of [...waiters]) w();
      resolve({ code, stdout: stripAnsi(raw), stderr });
    });
  });
  const screen = () => stripAnsi(raw);
  return {
    screen,
    raw: () => raw,
    type: (text) => void child.stdin.write(text),
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(screen())) {
            cleanup();
            resolve();
          } else if (child.exitCode !== null) {
            cleanup();
            reject(new Error(`the CLI exited (${child.exitCode}) before the terminal showed ${pattern}:\n${screen()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`the terminal did not show ${pattern} within ${timeoutMs} ms:\n${screen()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    result,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
