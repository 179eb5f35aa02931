/** Cuts a byte stream into lines for OutputHandlers, whatever the chunk boundaries. */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  // The decoder keeps a multi-byte UTF-8 character split across chunks whole.
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: ((line: string) => void) | undefined) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.onLine?.(line);
  }

  /** Emits the last line when the output did not end with a newline. Call once, at close. */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.onLine?.(rest);
  }
}
