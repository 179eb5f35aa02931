/**
 * Progress for long local work (certs generate): on a terminal a spinner line redrawn in
 * place; elsewhere (pipes, CI, logs) one line per phase and nothing in between, so a log
 * holds what happened without hundreds of redraws. Always on stderr: stdout keeps the
 * command's own output (and --json) clean.
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  /** A phase begins: its own line. */
  phase(line: string): void;
  /** Where the phase is now: the spinner's text on a terminal, nothing otherwise. */
  update(text: string): void;
  /** The phase ended: its closing line (replacing the spinner). */
  done(line: string): void;
}

export function progressOn(stream: NodeJS.WriteStream & { isTTY?: boolean }): Progress {
  if (!stream.isTTY) {
    return { phase: (line) => void stream.write(`${line}\n`), update: () => undefined, done: (line) => void stream.write(`${line}\n`) };
  }
  let text = '';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => void stream.write(`\r\u001b[K${FRAMES[frame++ % FRAMES.length] ?? ''} ${text}`);
  return {
    phase(line) {
      stream.write(`${line}\n`);
    },
    update(next) {
      text = next;
      if (!timer) {
        timer = setInterval(draw, 80);
        timer.unref();
      }
      draw();
    },
    done(line) {
      if (timer) clearInterval(timer);
      timer = undefined;
      stream.write(`\r\u001b[K${line}\n`);
    },
  };
}
