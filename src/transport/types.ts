/** How scripts reach a host. Implementations: ssh.ts (ssh2), local.ts (execa). */
export interface OutputHandlers {
  /** Each complete stdout line, without its newline (marker lines included). */
  onStdoutLine?(line: string): void;
  onStderrLine?(line: string): void;
}

export interface Transport {
  /** Host name from the cluster file, for errors and logs. */
  readonly hostName: string;
  /** Opens the connection (SSH: verifies the host key, authenticates). Idempotent. */
  connect(): Promise<void>;
  /**
   * Sends `script` on stdin to `bash -s -- ...args` (via `sudo` when the user is not
   * root) and resolves with its exit status once both streams are drained. Rejects
   * with TransportError when the connection is lost.
   */
  runScript(script: string, args: readonly string[], handlers?: OutputHandlers): Promise<number>;
  /** Ends running sessions and the connection. Safe to call more than once. */
  close(): Promise<void>;
}
