/** Choosing a transport for a host, and the credential prompts the transports share. */
import type { Host } from '../cluster/types.js';
import { LocalTransport } from './local.js';
import { SshTransport, type SshTransportOptions } from './ssh.js';
import type { Transport } from './types.js';

export { interactivePrompts, noPrompts, PASSPHRASE_ENV, type CredentialPrompts, type InteractivePromptOptions } from './prompts.js';
export { LocalTransport, type LocalTransportOptions } from './local.js';
export { SshTransport, type SshTransportOptions } from './ssh.js';
export type { OutputHandlers, Transport } from './types.js';

/** What a command knows when it opens transports: --accept-new-host-keys, the prompts, test seams. */
export type TransportOptions = SshTransportOptions;

/** `address: local` runs on this machine (execa); everything else over SSH. */
export function createTransport(host: Host, options: TransportOptions): Transport {
  if (host.address === 'local') {
    return new LocalTransport(host, { prompts: options.prompts, ...(options.env ? { env: options.env } : {}) });
  }
  return new SshTransport(host, options);
}
