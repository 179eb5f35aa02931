/**
 * One host's session for a whole command: the only place that connects to a host and runs a
 * script there (DESIGN §3 "one runner for every action"). It connects once, learns the OS
 * (declared, or read from /etc/os-release), and runs scripts over that one connection: the
 * secrets filled in, marker and fact lines parsed, every line logged with the secrets scrubbed,
 * the current step's stderr kept for the summary; Ctrl-C (interrupt) ends the running script;
 * close ends the connection. In a dry run it hands each script to the dry-run collector
 * instead, and executes only the read-only scripts of a phase that may read hosts.
 */
import type { Host, OsId } from '../cluster/types.js';
import { HostError, TransportError } from '../errors.js';
import { osFromRelease, parseOsRelease } from '../os/index.js';
import { fillSecrets, redactSecrets, scrubSecrets } from '../script/secrets.js';
import type { Transport } from '../transport/types.js';
import type { DryRunCollector } from './dry-run.js';
import { type HostFacts, recordFact } from './facts.js';
import { HostLog } from './log.js';
import { type Marker, parseFact, parseMarker, parseNote } from './markers.js';

/** How many of the current step's last stderr lines a failure keeps. */
const STDERR_TAIL = 15;

export interface HostScript {
  /** The phase (or part of one) the script belongs to: names it in logs and in the dry run. */
  phase: string;
  /** Bash with secret placeholders (src/script/secrets.ts). */
  text: string;
  /** Only reads the host: a dry run that reads hosts (certs renew) executes it too. */
  readOnly?: boolean;
  /**
   * Its stdout carries file contents that may be private keys (certs read): those lines go to
   * the handlers only, never to the log, --verbose or an error message.
   */
  secretOutput?: boolean;
}

export interface ScriptHandlers {
  onMarker?(marker: Marker): void;
  /** Every stdout line that is neither a marker nor a fact. */
  onStdout?(line: string): void;
}

export interface ScriptResult {
  code: number;
  /** `k8sprep: <message>` lines the script wrote on stderr, without the prefix. */
  messages: string[];
}

export interface SessionOptions {
  runId: string;
  /** Absent in a dry run: nothing is contacted unless the OS must be read or a phase reads hosts. */
  transport?: Transport | undefined;
  /** Real runs: the host's log goes here. */
  logDir?: string | undefined;
  /** Secret values by placeholder name; the session adds to it (e.g. renewed keys). */
  secrets: Map<string, string>;
  /** Set in a dry run: scripts are collected, not run. */
  dryRun?: DryRunCollector | undefined;
  /** --verbose: every output line (scrubbed), as it arrives. */
  onOutput?: ((host: Host, stream: 'stdout' | 'stderr', line: string) => void) | undefined;
}

export class HostSession {
  os: OsId | undefined;
  readonly facts: HostFacts = {};
  /** What the scripts asked the summary to say (`k8sprep_note`). */
  readonly notes: string[] = [];
  /** The current (or failing) step's stderr, or the script's before its first step. */
  stderrTail: string[] = [];
  logPath = '';
  private log: HostLog | undefined;
  private opened: Promise<void> | undefined;
  private interrupted = false;
  private closed = false;

  constructor(
    readonly host: Host,
    private readonly opts: SessionOptions,
  ) {
    this.os = host.os;
  }

  get secrets(): Map<string, string> {
    return this.opts.secrets;
  }

  get isDryRun(): boolean {
    return this.opts.dryRun !== undefined;
  }

  /** Ctrl-C was pressed while this session lived. */
  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  /** Opens the log, connects and learns the OS; once, however often it is called. */
  open(): Promise<void> {
    this.opened ??= this.doOpen();
    return this.opened;
  }

  private async doOpen(): Promise<void> {
    const { host, opts } = this;
    if (opts.logDir && !opts.dryRun) {
      this.log = await HostLog.open(opts.logDir, host.name, opts.secrets);
      this.logPath = this.log.path;
    }
    if (this.interrupted) throw new HostError(host.name, 'interrupted (Ctrl-C) before it started');
    if (opts.dryRun && this.os) return;
    const transport = this.requireTransport();
    this.log?.event(`connecting to ${host.address}`);
    try {
      await transport.connect();
    } catch (err) {
      throw opts.dryRun ? dryRunConnectError(host, err) : err;
    }
    if (!this.os) this.os = await this.detectOs();
  }

  private requireTransport(): Transport {
    if (!this.opts.transport) throw new HostError(this.host.name, 'no transport for this host (a dry run that may not contact it)');
    return this.opts.transport;
  }

  /** Reads /etc/os-release (read-only) and maps it to a supported family. */
  private async detectOs(): Promise<OsId> {
    const lines: string[] = [];
    const code = await this.requireTransport().runScript('cat /etc/os-release\n', [], { onStdoutLine: (l) => lines.push(l) });
    if (code !== 0) throw new HostError(this.host.name, 'cannot read /etc/os-release to detect the OS', 'os-release');
    const found = osFromRelease(parseOsRelease(lines.join('\n')));
    if ('refusal' in found) throw new HostError(this.host.name, `${this.host.name} ${found.refusal}`, 'os-release');
    return found.os;
  }

  /**
   * Runs one script (or, in a dry run, collects it). Resolves with its exit status; a lost
   * connection rejects with TransportError. Never prints secrets: output is scrubbed before
   * it reaches the log, the handlers' consumers or --verbose.
   */
  async run(script: HostScript, handlers: ScriptHandlers = {}): Promise<ScriptResult> {
    const { opts, host } = this;
    if (this.interrupted) throw new HostError(host.name, 'interrupted (Ctrl-C)');
    opts.dryRun?.add(host, script.phase, script.text, opts.secrets);
    if (opts.dryRun && !(script.readOnly && opts.dryRun.readsHosts && opts.transport)) return { code: 0, messages: [] };
    await this.open();
    const transport = this.requireTransport();
    // A dry run that reads hosts connects on its first read (connect is idempotent).
    await transport.connect();
    const log = this.log;
    log?.event(`${script.phase}: script follows`);
    log?.line(redactSecrets(script.text));
    const messages: string[] = [];
    this.stderrTail = [];
    const onStdout = (raw: string) => {
      const marker = parseMarker(raw);
      const fact = marker ? undefined : parseFact(raw);
      const note = marker || fact ? undefined : parseNote(raw);
      if (script.secretOutput && !marker && !fact && note === undefined) {
        handlers.onStdout?.(raw);
        return;
      }
      const line = scrubSecrets(raw, opts.secrets);
      log?.line(line);
      opts.onOutput?.(host, 'stdout', line);
      if (fact && !recordFact(this.facts, fact.key, fact.value, Date.now() / 1000)) log?.event(`unknown fact ${fact.key} (a k8sprep bug: no code reads it)`);
      else if (marker) handlers.onMarker?.(marker);
      else if (note !== undefined) this.notes.push(note);
      else handlers.onStdout?.(line);
    };
    const onStderr = (raw: string) => {
      const line = scrubSecrets(raw, opts.secrets);
      // stderr's copy of a step's begin marker (src/script/preamble.ts): what follows is that step's.
      if (parseMarker(line)?.status === 'begin') {
        this.stderrTail = [];
        return;
      }
      log?.line(`[stderr] ${line}`);
      opts.onOutput?.(host, 'stderr', line);
      if (line.startsWith('k8sprep: ')) messages.push(line.slice('k8sprep: '.length));
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    };
    const code = await transport.runScript(fillSecrets(script.text, opts.secrets), [opts.runId], { onStdoutLine: onStdout, onStderrLine: onStderr });
    log?.event(`${script.phase}: exited with status ${code}`);
    return { code, messages };
  }

  /** A line about the run itself in the host's log (not host output). */
  note(text: string): void {
    this.log?.event(scrubSecrets(text, this.opts.secrets));
  }

  /** Ctrl-C: ends the running script (the transport stops it on the host); nothing new starts. */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    await this.opts.transport?.close().catch(() => undefined);
  }

  /** Closes the connection and the log. Safe to call more than once. */
  async close(outcome: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opts.transport?.close().catch(() => undefined);
    this.log?.event(`finished: ${outcome}`);
    await this.log?.close();
  }
}

/**
 * A dry run connects only to read the OS of hosts without `os:`; when that fails, one line
 * that says so and how to avoid connecting (issue 11), not the transport's internals.
 */
function dryRunConnectError(host: Host, err: unknown): HostError {
  const raw = err instanceof Error ? err.message : String(err);
  // The transport's messages name the endpoint first ("cannot connect to cp1 (10.0.0.1:22): connection refused").
  const why = err instanceof TransportError ? raw.replace(/^.*?\):\s*/, '') : raw;
  return new HostError(
    host.name,
    `cannot read the OS over SSH (${host.address}:${host.ssh.port}: ${why}); declare os: in the cluster file to dry-run without connecting`,
  );
}
