import type { Host, OsId } from '../cluster/types.js';
import { HostError } from '../errors.js';
import { osFromRelease, parseOsRelease } from '../os/index.js';
import type { Transport } from '../transport/types.js';

/** Reads /etc/os-release over the transport (read-only) and maps it to a supported family. */
export async function detectOs(transport: Transport, host: Host): Promise<OsId> {
  const lines: string[] = [];
  const code = await transport.runScript('cat /etc/os-release\n', [], { onStdoutLine: (l) => lines.push(l) });
  if (code !== 0) throw new HostError(host.name, 'cannot read /etc/os-release to detect the OS', 'os-release');
  const os = osFromRelease(parseOsRelease(lines.join('\n')));
  if (os !== 'centos7' && os !== 'arch') throw new HostError(host.name, `${host.name} ${os}`, 'os-release');
  return os;
}
