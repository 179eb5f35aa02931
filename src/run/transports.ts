/** The transports a host-touching command opens: SSH (or local for `address: local`), with the shared flags. */
import type { Cluster, Host } from '../cluster/types.js';
import type { Transport } from '../transport/types.js';

export type TransportFactory = (host: Host, cluster: Cluster) => Transport;

export async function transportFactory(flags: { 'ask-pass': boolean; 'accept-new-host-keys': boolean }): Promise<TransportFactory> {
  const { createTransport, interactivePrompts } = await import('../transport/index.js');
  const prompts = interactivePrompts({ askPass: flags['ask-pass'] });
  return (host) => createTransport(host, { acceptNewHostKeys: flags['accept-new-host-keys'], prompts });
}
