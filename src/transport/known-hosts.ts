/**
 * OpenSSH known_hosts: parsing, matching a host's offered key, fingerprints, and
 * appending new entries. Everything but `readKnownHosts`/`appendKnownHost` is pure.
 *
 * Format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *   [@marker] host-patterns key-type base64-key [comment]
 * host-patterns is a comma list of globs (`!` negates), `[host]:port` for ports other
 * than 22, or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { matchHostPatterns } from './host-patterns.js';

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages. */
  line: number;
  /** `@cert-authority` lines describe CAs (not supported, never matched); `@revoked` keys are refused. */
  marker?: 'cert-authority' | 'revoked';
  /** The host field as written (comma list, or one hashed name). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyCheck =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'unknown' }
  /** Known with other key(s): expected holds every entry recorded for this host. */
  | { status: 'changed'; expected: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

/** The name known_hosts records for a host: `host` on port 22, else `[host]:port` (OpenSSH's put_host_port). */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Lines that cannot be parsed are skipped, like OpenSSH does (a broken line must not lock the user out of every host). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift();
      if (m === '@cert-authority') marker = 'cert-authority';
      else if (m === '@revoked') marker = 'revoked';
      else return;
    }
    const [hosts, keyType, b64] = fields;
    if (hosts === undefined || keyType === undefined || b64 === undefined) return;
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return entries;
}

/** Whether an entry's host field names `name` (as made by knownHostsName). */
function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  return matchHostPatterns(name, entry.hosts.split(','));
}

/** The entries that apply to `name`, CA lines excluded (certificates are not supported). */
export function entriesForHost(entries: readonly KnownHostEntry[], name: string): KnownHostEntry[] {
  return entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, name));
}

/** Compares the key a server offered with what is recorded for it. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, offered: Buffer): HostKeyCheck {
  const forHost = entriesForHost(entries, name);
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(offered));
  if (revoked) return { status: 'revoked', entry: revoked };
  const recorded = forHost.filter((e) => e.marker === undefined);
  const same = recorded.find((e) => e.key.equals(offered));
  if (same) return { status: 'match', entry: same };
  return recorded.length > 0 ? { status: 'changed', expected: recorded } : { status: 'unknown' };
}

/** OpenSSH's default fingerprint: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return len > 0 && 4 + len <= key.length ? key.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/** The host key algorithms that make a server present a key of `keyType` (RSA keys sign with SHA-2 first). */
function hostKeyAlgorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/**
 * Host key algorithms to offer: the types already recorded for this host first, so a
 * server with several keys presents one we can compare, then `defaults` for the rest.
 */
export function preferredHostKeyAlgorithms(recorded: readonly KnownHostEntry[], defaults: readonly string[]): string[] {
  const preferred = recorded.filter((e) => e.marker === undefined).flatMap((e) => hostKeyAlgorithmsFor(e.keyType));
  return [...new Set([...preferred, ...defaults])].filter((a) => defaults.includes(a));
}

export function formatKnownHostsLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** The file's text; a missing file is an empty one. */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

export async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  return parseKnownHosts(await readText(path));
}

/** Appends are chained per process so concurrent hosts never interleave partial lines. */
let appendQueue: Promise<unknown> = Promise.resolve();

/**
 * Records `key` for `name` unless an identical entry is already there (another host of
 * this run, e.g. behind a shared bastion, may have just added it). Creates the directory
 * 0700 and the file 0600 when missing; an existing file keeps its mode.
 */
export function appendKnownHost(path: string, name: string, key: Buffer): Promise<void> {
  const run = appendQueue.then(async () => {
    const text = await readText(path);
    if (parseKnownHosts(text).some((e) => e.marker === undefined && e.key.equals(key) && entryMatchesHost(e, name))) return;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const prefix = text !== '' && !text.endsWith('\n') ? '\n' : '';
    await appendFile(path, `${prefix}${formatKnownHostsLine(name, key)}\n`, { mode: 0o600 });
  });
  appendQueue = run.catch(() => undefined);
  return run;
}
