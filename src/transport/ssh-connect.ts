/**
 * Opening one authenticated ssh2 connection (a host, or a bastion): connect timeout,
 * known_hosts verification, the auth handler, and errors that say what happened.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { HostKeyError, TransportError } from '../errors.js';
import { authFailureDetail, prepareAuth } from './auth.js';
import {
  appendKnownHost,
  checkHostKey,
  entriesForHost,
  fingerprint,
  keyTypeOf,
  type KnownHostEntry,
  knownHostsName,
  preferredHostKeyAlgorithms,
  readKnownHosts,
} from './known-hosts.js';
import type { CredentialPrompts } from './prompts.js';

/** ssh2's own preference order (lib/protocol/constants.js DEFAULT_SERVER_HOST_KEY). */
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export interface Endpoint {
  /** Cluster host this connection serves (errors carry it). */
  hostName: string;
  /** How messages name this connection, e.g. `cp1 (10.0.0.1:22)` or `bastion jump:22 (for cp1)`. */
  label: string;
  address: string;
  port: number;
  user: string;
  identityFile?: string | undefined;
  /** ~/.ssh/config's IdentityFiles for this host (tried after the agent). */
  configIdentityFiles?: readonly string[] | undefined;
  passwordEnv?: string | undefined;
}

export interface ConnectSettings {
  acceptNewHostKeys: boolean;
  knownHostsPath: string;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  prompts: CredentialPrompts;
  home: string;
  env: NodeJS.ProcessEnv;
}

/** A timer that can stop while someone types a passphrase, and continue afterwards. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  private done = false;

  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
  }

  start(): void {
    if (this.done) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(this.onExpire, this.remaining);
  }

  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remaining = Math.max(0, this.remaining - (Date.now() - this.startedAt));
  }

  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function unknownKeyMessage(ep: Endpoint, path: string, key: Buffer): string {
  return (
    `unknown host key for ${ep.label}: ${keyTypeOf(key)} ${fingerprint(key)} is not in ${path}. ` +
    `Check that fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_${keyTypeOf(key).replace(/^ssh-|-.*$/g, '')}_key.pub), ` +
    `then rerun with --accept-new-host-keys to trust and record it`
  );
}

function changedKeyMessage(ep: Endpoint, path: string, key: Buffer, expected: { line: number; keyType: string; key: Buffer }[]): string {
  const recorded = expected.map((e) => `${e.keyType} ${fingerprint(e.key)} (${path} line ${e.line})`).join(', ');
  return (
    `HOST KEY CHANGED for ${ep.label}: it offered ${keyTypeOf(key)} ${fingerprint(key)}, but known_hosts expects ${recorded}. ` +
    `Someone may be intercepting the connection, or the host was reinstalled; if that is expected, remove the old entry ` +
    `(ssh-keygen -R '${knownHostsName(ep.address, ep.port)}' -f ${path}) and connect again. --accept-new-host-keys never accepts a changed key`
  );
}

function connectError(ep: Endpoint, err: Error & { code?: string; level?: string }): string {
  if (err.code === 'ECONNREFUSED') return `cannot connect to ${ep.label}: connection refused`;
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `cannot connect to ${ep.label}: cannot resolve ${ep.address}`;
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `cannot connect to ${ep.label}: no route to host`;
  return `cannot connect to ${ep.label}: ${err.message}`;
}

/**
 * Resolves with a ready client, or rejects with HostKeyError / TransportError. `sock`
 * is a stream forwarded by a bastion; without it ssh2 opens the TCP connection.
 */
export async function openClient(ep: Endpoint, s: ConnectSettings, sock?: Duplex): Promise<Client> {
  const knownName = knownHostsName(ep.address, ep.port);
  let recorded: KnownHostEntry[];
  try {
    recorded = entriesForHost(await readKnownHosts(s.knownHostsPath), knownName);
  } catch (err) {
    throw new TransportError(ep.hostName, `cannot read ${s.knownHostsPath} to check ${ep.label}: ${(err as Error).message}`);
  }
  const auth = await prepareAuth({
    user: ep.user,
    host: ep.address,
    identityFile: ep.identityFile,
    configIdentityFiles: ep.configIdentityFiles,
    passwordEnv: ep.passwordEnv,
    home: s.home,
    env: s.env,
    prompts: s.prompts,
  });

  return new Promise<Client>((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    let hostKeyError: HostKeyError | undefined;
    let keyToRecord: Buffer | undefined;

    const fail = (err: TransportError) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      client.removeAllListeners();
      // An error after this point (the socket being torn down) must not crash the process.
      client.on('error', () => undefined);
      client.end();
      client.destroy();
      reject(err);
    };
    const deadline = new Deadline(s.connectTimeoutMs, () =>
      fail(new TransportError(ep.hostName, `connecting to ${ep.label} timed out after ${s.connectTimeoutMs} ms (no SSH handshake and login in that time)`)),
    );
    auth.onPrompt = (asking) => (asking ? deadline.pause() : deadline.start());

    const verifyHostKey = async (key: Buffer): Promise<boolean> => {
      const check = checkHostKey(await readKnownHosts(s.knownHostsPath), knownName, key);
      switch (check.status) {
        case 'match':
          return true;
        case 'revoked':
          hostKeyError = new HostKeyError(
            ep.hostName,
            `host key ${fingerprint(key)} of ${ep.label} is marked @revoked in ${s.knownHostsPath} line ${check.entry.line}`,
          );
          return false;
        case 'changed':
          hostKeyError = new HostKeyError(ep.hostName, changedKeyMessage(ep, s.knownHostsPath, key, check.expected));
          return false;
        case 'unknown':
          if (!s.acceptNewHostKeys) {
            hostKeyError = new HostKeyError(ep.hostName, unknownKeyMessage(ep, s.knownHostsPath, key));
            return false;
          }
          // Recorded once the key exchange proves the server holds the private key.
          keyToRecord = key;
          return true;
      }
    };

    client.on('handshake', () => {
      if (!keyToRecord) return;
      const key = keyToRecord;
      keyToRecord = undefined;
      appendKnownHost(s.knownHostsPath, knownName, key).catch((err: Error) =>
        fail(new TransportError(ep.hostName, `cannot record the host key of ${ep.label} in ${s.knownHostsPath}: ${err.message}`)),
      );
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      deadline.clear();
      client.removeAllListeners('ready');
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      // A dead or empty agent is not fatal: the handler moves on to the next method.
      if (err.level === 'agent') {
        auth.notes.push(`ssh-agent: ${err.message}`);
        return;
      }
      if (hostKeyError) return fail(hostKeyError);
      if (auth.fatal) return fail(new TransportError(ep.hostName, `cannot log in to ${ep.label} as ${ep.user}: ${auth.fatal.message}`));
      if (err.level === 'client-authentication') {
        return fail(
          new TransportError(
            ep.hostName,
            `authentication to ${ep.label} as ${ep.user} failed: ${authFailureDetail(auth, { passwordEnv: ep.passwordEnv, env: s.env })}`,
          ),
        );
      }
      fail(new TransportError(ep.hostName, connectError(ep, err), { cause: err }));
    });
    client.on('close', () => fail(new TransportError(ep.hostName, `${ep.label} closed the connection before login completed`)));

    const algorithms = preferredHostKeyAlgorithms(recorded, DEFAULT_HOST_KEY_ALGORITHMS) as ServerHostKeyAlgorithm[];
    const config: ConnectConfig = {
      host: ep.address,
      port: ep.port,
      username: ep.user,
      readyTimeout: 0, // our Deadline instead: it pauses while a passphrase is typed
      keepaliveInterval: s.keepaliveIntervalMs,
      keepaliveCountMax: s.keepaliveCountMax,
      algorithms: { serverHostKey: algorithms },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verifyHostKey(key).then(verify, (err: Error) => {
          hostKeyError = new HostKeyError(ep.hostName, `cannot read ${s.knownHostsPath}: ${err.message}`);
          verify(false);
        });
      },
      authHandler: auth.handler,
      ...(sock ? { sock } : {}),
    };
    deadline.start();
    try {
      client.connect(config);
    } catch (err) {
      fail(new TransportError(ep.hostName, connectError(ep, err as Error), { cause: err }));
    }
  });
}
