/** Typed errors. Exit codes (DESIGN §1): 1 = a host failed, 2 = invalid input. */

export interface InputProblem {
  /** File the problem is in; absent for flag problems. */
  file?: string;
  line?: number;
  col?: number;
  /**
   * Dotted field path, e.g. `spec.hosts[3].address`, or a flag name like `--only`; absent
   * when the problem is the file itself (binary content), not one of its fields.
   */
  path?: string;
  reason: string;
}

function formatProblem(p: InputProblem): string {
  const where = p.file ? `${p.file}:${p.line ?? 1}:${p.col ?? 1}: ` : '';
  return `${where}${p.path === undefined ? '' : `${p.path}: `}${p.reason}`;
}

/** Invalid flags or cluster file: reported before any host is contacted; exit 2. */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: InputProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
  }

  static single(path: string, reason: string, file?: string): InputError {
    return new InputError([{ path, reason, ...(file === undefined ? {} : { file }) }]);
  }
}

/** Something went wrong on one host; carries the host and, when known, the step. */
export class HostError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly step?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HostError';
  }
}

/** The SSH or local transport could not connect, authenticate, or lost the connection. */
export class TransportError extends HostError {
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super(host, message, undefined, options);
    this.name = 'TransportError';
  }
}

/** A host key was unknown (without --accept-new-host-keys) or changed. */
export class HostKeyError extends TransportError {
  constructor(host: string, message: string) {
    super(host, message);
    this.name = 'HostKeyError';
  }
}

/**
 * A value starting with `-` was about to be quoted into a script, where a command would
 * read it as an option (src/script/quote.ts). A bug in the renderer, never bad input: the
 * only cluster-file values that can start with `-` (sysctl values) travel inside a
 * `key=value` word.
 */
export class OptionLikeValueError extends Error {
  constructor(readonly value: string) {
    super(`refusing to quote ${JSON.stringify(value)} into a script: it starts with "-", so a command would read it as an option`);
    this.name = 'OptionLikeValueError';
  }
}
