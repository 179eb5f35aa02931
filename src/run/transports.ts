/** The transports a host-touching command opens: SSH (or local for `address: local`), with the shared flags. */
import type { Cluster, Host } from '../cluster/types.js';
import { InputError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import type { Interrupt } from './interrupt.js';

export type TransportFactory = (host: Host, cluster: Cluster) => Transport;

/**
 * SSH (or local) transports sharing one set of prompts. --ask-pass is asked here, once,
 * before any host is contacted; key passphrases are asked while connecting, which the
 * executor does before its task list takes over the terminal. With `interrupt`, Ctrl-C at
 * a question ends the run through it instead of failing the question.
 */
export async function transportFactory(flags: { 'ask-pass': boolean; 'accept-new-host-keys': boolean }, interrupt?: Interrupt): Promise<TransportFactory> {
  const { createTransport, interactivePrompts } = await import('../transport/index.js');
  const prompts = interactivePrompts({ askPass: flags['ask-pass'], ...(interrupt ? { onCancel: () => interrupt.trigger() } : {}) });
  if (flags['ask-pass']) {
    await prompts.password().catch((err: unknown) => {
      if (interrupt?.signal.aborted) return;
      throw InputError.single('--ask-pass', err instanceof Error ? err.message.replace(/^--ask-pass /, '') : String(err));
    });
  }
  return (host) => createTransport(host, { acceptNewHostKeys: flags['accept-new-host-keys'], prompts });
}
