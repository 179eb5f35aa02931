/** Reading one control plane's /etc/kubernetes over its transport (read-only). */
import { HostError } from '../../errors.js';
import type { HostLog } from '../../run/log.js';
import type { Transport } from '../../transport/types.js';
import { type HostPkiFiles, ReadOutputParser } from './read-parse.js';
import { renderReadScript } from './read-script.js';

const STDERR_TAIL = 10;

export interface ReadOptions {
  runId: string;
  /** Gets the script and stderr; never the file contents. */
  log?: HostLog | undefined;
}

export async function readHostPki(transport: Transport, opts: ReadOptions): Promise<HostPkiFiles> {
  const host = transport.hostName;
  const parser = new ReadOutputParser();
  const stderr: string[] = [];
  const script = renderReadScript(host);
  opts.log?.event('certs-read: script follows');
  opts.log?.line(script);
  const code = await transport.runScript(script, [opts.runId], {
    onStdoutLine: (line) => parser.line(line),
    onStderrLine: (line) => {
      opts.log?.line(`[stderr] ${line}`);
      stderr.push(line);
      if (stderr.length > STDERR_TAIL) stderr.shift();
    },
  });
  if (code !== 0) throw new HostError(host, `reading /etc/kubernetes exited with status ${code}${stderr.length ? `: ${stderr.join(' | ')}` : ''}`, 'certs-read');
  try {
    const result = parser.result();
    opts.log?.event(`certs-read: ${result.files.size} files (${[...result.files.keys()].join(', ')})`);
    return result;
  } catch (err) {
    throw new HostError(host, `reading /etc/kubernetes: ${(err as Error).message}`, 'certs-read');
  }
}
