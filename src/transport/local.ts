/**
 * The local transport (`address: local`): the same `bash -s -- <args>` command line as
 * over SSH, run by `sh -c` on this machine with the script on stdin, through sudo when
 * k8sprep is not running as root.
 */
import { userInfo } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import type { Host } from '../cluster/types.js';
import { TransportError } from '../errors.js';
import { passwordSource, sudoPassword } from './auth.js';
import { describeScript, scriptCommand, signalExitStatus, sudoProblemMessage, SudoWatch } from './command.js';
import { LineSplitter } from './lines.js';
import { noPrompts, type CredentialPrompts } from './prompts.js';
import type { OutputHandlers, Transport } from './types.js';

export interface LocalTransportOptions {
  /** For the sudo password (--ask-pass) when not root. Default: never asks. */
  prompts?: CredentialPrompts;
  /** Where passwordEnv's variable is read, and the scripts' environment. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: whether this process runs as uid 0. */
  root?: boolean;
}

export class LocalTransport implements Transport {
  readonly hostName: string;
  private readonly running = new Set<ResultPromise>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly prompts: CredentialPrompts;
  private readonly root: boolean;
  private sudoPassword: Promise<string | undefined> | undefined;
  private closed = false;

  constructor(
    private readonly host: Host,
    options: LocalTransportOptions = {},
  ) {
    this.hostName = host.name;
    this.env = options.env ?? process.env;
    this.prompts = options.prompts ?? noPrompts();
    this.root = options.root ?? process.getuid?.() === 0;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new TransportError(this.hostName, `the local transport for ${this.hostName} was closed`);
  }

  async runScript(script: string, args: readonly string[], handlers: OutputHandlers = {}): Promise<number> {
    await this.connect();
    const what = describeScript(script);
    const password = this.root
      ? undefined
      : await (this.sudoPassword ??= sudoPassword(this.hostName, { passwordEnv: this.host.ssh.passwordEnv, env: this.env, prompts: this.prompts }));
    const { command, stdinPrefix } = scriptCommand(args, { root: this.root, sudoPassword: password });

    const sudo = new SudoWatch(!this.root);
    const stdout = new LineSplitter((line) => {
      sudo.stdoutLine();
      handlers.onStdoutLine?.(line);
    });
    const stderr = new LineSplitter((line) => {
      sudo.stderrLine(line);
      handlers.onStderrLine?.(line);
    });
    // buffer: false streams instead of collecting; reject: false so a non-zero exit is a result, not an error.
    // detached: its own process group, so close() can stop the whole script (sleep, yum, ...), not just sh.
    const child = execa('sh', ['-c', command], { env: this.env, extendEnv: false, buffer: false, reject: false, stdin: 'pipe', detached: true });
    this.running.add(child);
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    // bash may exit before reading all of stdin (e.g. `exit 7` early): that EPIPE is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdinPrefix + script);
    try {
      const result = await child;
      stdout.end();
      stderr.end();
      if (this.closed && result.isTerminated) throw new TransportError(this.hostName, `the local run of ${what} on ${this.hostName} was ended by k8sprep`);
      if (result.failed && result.exitCode === undefined && !result.isTerminated) {
        throw new TransportError(this.hostName, `cannot run ${what} locally for ${this.hostName}: ${result.shortMessage}`, { cause: result.cause });
      }
      const code = result.exitCode ?? signalExitStatus(result.signal);
      if (sudo.problem && code !== 0) {
        const source = password === undefined ? undefined : passwordSource({ passwordEnv: this.host.ssh.passwordEnv, env: this.env });
        throw new TransportError(this.hostName, sudoProblemMessage(sudo.problem, `${this.hostName} (local)`, userInfo().username, source));
      }
      return code;
    } finally {
      this.running.delete(child);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const child of this.running) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }
    await Promise.allSettled([...this.running]);
  }
}
