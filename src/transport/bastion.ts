/**
 * Bastion connections shared by every host behind the same jump host (same address,
 * port, user, key and known_hosts), counted so the last host to close ends it. One
 * login on the bastion instead of one per host: fewer prompts, fewer sshd MaxStartups
 * rejections when many hosts connect at once.
 */
import type { Client } from 'ssh2';
import { HostKeyError, TransportError } from '../errors.js';

interface Shared {
  client: Promise<Client>;
  users: number;
}

const pool = new Map<string, Shared>();

export interface BastionLease {
  client: Client;
  /** Gives the connection back; the last lease ends it. Idempotent. */
  release(): void;
}

/** Re-addresses a failure to the host that asked, keeping its kind (host key problems stay HostKeyError). */
function forHost(err: unknown, hostName: string): TransportError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof HostKeyError) return new HostKeyError(hostName, message);
  return new TransportError(hostName, message, { cause: err });
}

export async function acquireBastion(key: string, hostName: string, open: () => Promise<Client>): Promise<BastionLease> {
  let shared = pool.get(key);
  if (!shared) {
    const entry: Shared = { client: open(), users: 0 };
    shared = entry;
    pool.set(key, entry);
    // A failed or later lost connection must not be handed to the next host.
    entry.client.then(
      (c) => c.once('close', () => pool.get(key) === entry && pool.delete(key)),
      () => pool.get(key) === entry && pool.delete(key),
    );
  }
  shared.users++;
  let client: Client;
  try {
    client = await shared.client;
  } catch (err) {
    shared.users--;
    throw forHost(err, hostName);
  }
  const entry = shared;
  let released = false;
  return {
    client,
    release() {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      if (pool.get(key) === entry) pool.delete(key);
      client.end();
    },
  };
}
