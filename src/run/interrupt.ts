/**
 * Ctrl-C during a run. One SIGINT handler for the whole command (listr2's own is turned
 * off; it would exit at once with 127 and leave the scripts running): the first Ctrl-C
 * prints one line and aborts the run, which ends every running script's session and
 * still writes the logs and the summary; a second Ctrl-C exits at once.
 */
export const INTERRUPTED_EXIT = 130;

export interface Interrupt {
  readonly signal: AbortSignal;
  /** Aborts as Ctrl-C does (e.g. when a prompt was cancelled with Ctrl-C). */
  trigger(): void;
  dispose(): void;
}

export function handleInterrupts(message: () => string, write: (line: string) => void = (l) => process.stderr.write(l)): Interrupt {
  const controller = new AbortController();
  const trigger = () => {
    if (controller.signal.aborted) return;
    write(`\n${message()}\n`);
    controller.abort();
  };
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT);
    trigger();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, trigger, dispose: () => process.off('SIGINT', onSigint) };
}
