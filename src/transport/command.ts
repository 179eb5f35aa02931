/**
 * The command line that runs a script on a host, the same for SSH and local: the script
 * itself always travels on stdin, only `bash -s -- <quoted args>` (and sudo) is a command.
 */
import { constants } from 'node:os';
import { shqAll } from '../script/quote.js';

export interface ScriptCommand {
  /** For `sh -c` (local) or an SSH exec request (run by the login shell). */
  command: string;
  /** Written to stdin before the script: the sudo password line, or ''. */
  stdinPrefix: string;
}

/**
 * `bash -s` as root; `sudo -n bash -s` otherwise. With a sudo password, `sudo -S` reads
 * it as the first stdin line — but only when sudo actually asks: under NOPASSWD or with
 * cached credentials it would not, and bash would execute the password as a command. So
 * the login shell checks `sudo -n true` first and swallows the line itself in that case
 * (`read` consumes exactly one line from a pipe; sudo's getpass reads byte by byte too).
 */
export function scriptCommand(args: readonly string[], opts: { root: boolean; sudoPassword?: string | undefined }): ScriptCommand {
  const bash = `bash -s --${args.length > 0 ? ` ${shqAll(args)}` : ''}`;
  if (opts.root) return { command: bash, stdinPrefix: '' };
  if (opts.sudoPassword === undefined) return { command: `sudo -n ${bash}`, stdinPrefix: '' };
  if (/[\r\n]/.test(opts.sudoPassword)) throw new Error('the sudo password contains a line break, which sudo -S cannot read');
  return {
    command: `if sudo -n true 2>/dev/null; then IFS= read -r k8sprep_ignored; exec sudo -n ${bash}; ` + `else exec sudo -S -p '' ${bash}; fi`,
    stdinPrefix: `${opts.sudoPassword}\n`,
  };
}

export type SudoProblem = 'password-required' | 'password-rejected' | 'tty-required';

/** Recognises sudo's own refusals on stderr (English messages; LANG is not forwarded over SSH by us). */
export function sudoProblem(stderrLine: string): SudoProblem | undefined {
  if (/^sudo: a password is required/.test(stderrLine)) return 'password-required';
  if (/^sudo: \d+ incorrect password attempts?/.test(stderrLine) || /^Sorry, try again\.?$/.test(stderrLine)) return 'password-rejected';
  if (/^sudo: (sorry, you must have a tty|a terminal is required|no tty present)/.test(stderrLine)) return 'tty-required';
  return undefined;
}

/**
 * Watches a run's output for sudo refusing to start the script. Only lines before the
 * script's first stdout line count: once the script runs, its own messages are its own.
 */
export class SudoWatch {
  problem: SudoProblem | undefined;
  private scriptStarted = false;

  constructor(private readonly viaSudo: boolean) {}

  stdoutLine(): void {
    this.scriptStarted = true;
  }

  stderrLine(line: string): void {
    if (this.viaSudo && !this.scriptStarted && this.problem === undefined) this.problem = sudoProblem(line);
  }
}

export function sudoProblemMessage(problem: SudoProblem, host: string, user: string, passwordSource: string | undefined): string {
  switch (problem) {
    case 'password-required':
      return `sudo on ${host} needs a password for user ${user}: set ssh.passwordEnv in the cluster file and export that variable, or pass --ask-pass (or allow ${user} NOPASSWD sudo, or connect as root)`;
    case 'password-rejected':
      return `sudo on ${host} rejected the password for user ${user}${passwordSource ? ` (from ${passwordSource})` : ''}`;
    case 'tty-required':
      return `sudo on ${host} requires a terminal (sudoers "Defaults requiretty"): remove that setting for ${user}, or connect as root`;
  }
}

/** A short, secret-free name for a script in error messages: its phase when it has the renderer's header. */
export function describeScript(script: string): string {
  const m = /^# k8sprep phase (\S+)/m.exec(script);
  if (m) return `phase ${m[1]}`;
  const lines = script.split('\n').filter((l) => l.trim() !== '').length;
  return `a ${lines}-line script`;
}

/** 128 + the signal's number, like a shell's `$?` after a signal (`TERM` or `SIGTERM` -> 143). */
export function signalExitStatus(signal: string | null | undefined): number {
  const name = signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : '';
  return 128 + (constants.signals[name as keyof typeof constants.signals] ?? 0);
}
