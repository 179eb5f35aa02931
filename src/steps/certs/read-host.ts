/**
 * Reading one control plane's /etc/kubernetes through its session (read-only, so a dry run
 * reads too). The script's stdout is file contents that may be private keys: it goes to the
 * parser only, never to the log, --verbose or an error message.
 */
import { HostError } from '../../errors.js';
import type { HostSession } from '../../run/session.js';
import { type HostPkiFiles, ReadOutputParser } from './read-parse.js';
import { renderReadScript } from './read.js';

export async function readHostPki(session: HostSession): Promise<HostPkiFiles> {
  const host = session.host.name;
  const parser = new ReadOutputParser();
  const result = await session.run(
    { phase: 'certs-read', text: renderReadScript(host), readOnly: true, secretOutput: true },
    { onStdout: (line) => parser.line(line) },
  );
  if (result.code !== 0) {
    const tail = session.stderrTail.slice(-10);
    throw new HostError(host, `reading /etc/kubernetes exited with status ${result.code}${tail.length ? `: ${tail.join(' | ')}` : ''}`, 'certs-read');
  }
  try {
    const files = parser.result();
    session.note(`certs-read: ${files.files.size} files (${[...files.files.keys()].join(', ')})`);
    return files;
  } catch (err) {
    throw new HostError(host, `reading /etc/kubernetes: ${(err as Error).message}`, 'certs-read');
  }
}
