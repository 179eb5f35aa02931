/**
 * Client authentication: which credentials to try, in which order, and an ssh2
 * `authHandler` that tries them one by one (asking for a passphrase only when a key
 * needs one) and remembers what it tried so a failure can say so — never the secrets.
 *
 * Order: the configured identityFile, ssh-agent, ~/.ssh/config's IdentityFile for the
 * host, ~/.ssh/id_ed25519 and ~/.ssh/id_rsa, then the password (passwordEnv or
 * --ask-pass) for `password` and `keyboard-interactive`.
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthHandlerMiddleware, AuthenticationType, ParsedKey } from 'ssh2';
import { TransportError } from '../errors.js';
import { PASSPHRASE_ENV, type CredentialPrompts } from './prompts.js';
import { expandIdentityPath } from './ssh-config.js';

type Candidate =
  | { kind: 'key'; path: string; origin: 'identityFile' | '~/.ssh/config' | 'default' }
  | { kind: 'agent'; socket: string }
  | { kind: 'password' }
  | { kind: 'keyboard-interactive' };

export interface AuthSettings {
  user: string;
  /** The address connected to (after ~/.ssh/config's HostName): `%h` in IdentityFile paths. */
  host: string;
  identityFile?: string | undefined;
  /** ~/.ssh/config's IdentityFile lines for this host, unexpanded (ssh-config.ts). */
  configIdentityFiles?: readonly string[] | undefined;
  passwordEnv?: string | undefined;
  home: string;
  env: NodeJS.ProcessEnv;
  prompts: CredentialPrompts;
}

/** Where a password that was found came from, for messages: `$VAR` or `--ask-pass`. */
export function passwordSource(s: Pick<AuthSettings, 'passwordEnv' | 'env'>): string {
  return s.passwordEnv && s.env[s.passwordEnv] ? `$${s.passwordEnv}` : '--ask-pass';
}

/** The SSH/sudo password: the passwordEnv variable, else the --ask-pass answer (asked once per process). */
async function resolvePassword(s: Pick<AuthSettings, 'passwordEnv' | 'env' | 'prompts'>): Promise<string | undefined> {
  const fromEnv = s.passwordEnv ? s.env[s.passwordEnv] : undefined;
  if (fromEnv) return fromEnv;
  return s.prompts.password();
}

/** resolvePassword for sudo, failing as a TransportError of `hostName` (e.g. --ask-pass without a terminal). */
export async function sudoPassword(hostName: string, s: Pick<AuthSettings, 'passwordEnv' | 'env' | 'prompts'>): Promise<string | undefined> {
  try {
    return await resolvePassword(s);
  } catch (err) {
    throw new TransportError(hostName, `cannot get the sudo password for ${hostName}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function candidates(s: AuthSettings): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const addKey = (path: string, origin: 'identityFile' | '~/.ssh/config' | 'default') => {
    const abs = resolve(path);
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push({ kind: 'key', path: abs, origin });
  };
  if (s.identityFile) addKey(s.identityFile, 'identityFile');
  const agentSocket = s.env.SSH_AUTH_SOCK;
  if (agentSocket) out.push({ kind: 'agent', socket: agentSocket });
  const ctx = { home: s.home, host: s.host, remoteUser: s.user, localUser: userInfo().username };
  for (const f of s.configIdentityFiles ?? []) {
    const path = expandIdentityPath(f, ctx);
    if (await exists(path)) addKey(path, '~/.ssh/config');
  }
  for (const f of ['id_ed25519', 'id_rsa']) {
    const path = join(s.home, '.ssh', f);
    if (await exists(path)) addKey(path, 'default');
  }
  out.push({ kind: 'password' }, { kind: 'keyboard-interactive' });
  return out;
}

function protocolMethod(c: Candidate): AuthenticationType {
  return c.kind === 'key' || c.kind === 'agent' ? 'publickey' : c.kind;
}

function describe(c: Candidate): string {
  switch (c.kind) {
    case 'key':
      return `key ${c.path}${c.origin === 'identityFile' ? '' : ` (${c.origin})`}`;
    case 'agent':
      return 'ssh-agent';
    default:
      return c.kind;
  }
}

const isNoPassphrase = (err: Error) => /no passphrase given/i.test(err.message);

/**
 * Encrypted keys decrypted in this process, by path, content and passphrase (a digest).
 * Decrypting costs bcrypt rounds (a second of CPU or more for OpenSSH keys): once per key
 * file, not once per host, or 30 hosts spend half a minute of CPU and busy machines hit the
 * connect timeout.
 */
const decrypted = new Map<string, ParsedKey | Error>();

function decryptKey(path: string, data: Buffer, passphrase: string): ParsedKey | Error {
  const id = createHash('sha256').update(path).update('\0').update(data).update('\0').update(passphrase).digest('hex');
  let key = decrypted.get(id);
  if (!key) {
    key = firstKey(ssh2.utils.parseKey(data, passphrase));
    decrypted.set(id, key);
  }
  return key;
}

function firstKey(parsed: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  if (Array.isArray(parsed)) return parsed[0] ?? new Error('no key in file');
  return parsed;
}

export interface AuthAttempt {
  handler: AuthHandlerMiddleware;
  /** Human descriptions of the methods tried, in order (no secret values). */
  tried: string[];
  /** Why a candidate was skipped (missing passphrase, unreadable key, ...). */
  notes: string[];
  /** Set when the configured identityFile cannot be used: the connection fails with this. */
  fatal?: Error;
  /** Called around questions (and key decryption) so connect timeouts do not run while a person types. */
  onPrompt?: (asking: boolean) => void;
}

/**
 * Prepares an ssh2 authHandler for one connection. Methods the server does not offer
 * (its `authsLeft` after the first failure) are skipped without being counted as tried.
 */
export async function prepareAuth(s: AuthSettings): Promise<AuthAttempt> {
  const list = await candidates(s);
  let cursor = 0;
  let password: Promise<string | undefined> | undefined;
  const attempt: AuthAttempt = { handler: () => undefined, tried: [], notes: [] };

  const ask = async <T>(question: () => Promise<T>): Promise<T> => {
    attempt.onPrompt?.(true);
    try {
      return await question();
    } finally {
      attempt.onPrompt?.(false);
    }
  };

  const loadKey = async (c: Extract<Candidate, { kind: 'key' }>): Promise<ParsedKey | undefined> => {
    const required = c.origin === 'identityFile';
    const skip = (why: string): undefined => {
      if (required) throw new Error(`identityFile ${c.path}: ${why}`);
      attempt.notes.push(`${c.path}: ${why}`);
      return undefined;
    };
    let data: Buffer;
    try {
      data = await readFile(c.path);
    } catch (err) {
      return skip(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    let key = firstKey(ssh2.utils.parseKey(data));
    if (key instanceof Error && isNoPassphrase(key)) {
      const fromEnv = s.env[PASSPHRASE_ENV];
      let passphrase: string;
      try {
        passphrase = fromEnv ?? (await ask(() => s.prompts.keyPassphrase(c.path)));
      } catch (err) {
        return skip((err as Error).message.replace(`${c.path} `, 'it '));
      }
      // Local CPU work, not the network: it does not count against the connect timeout.
      key = await ask(async () => decryptKey(c.path, data, passphrase));
      if (key instanceof Error) return skip(`the passphrase ${fromEnv !== undefined ? `from ${PASSPHRASE_ENV} ` : ''}does not decrypt it`);
    }
    if (key instanceof Error) return skip(`not a usable private key (${key.message})`);
    if (!key.isPrivateKey()) return skip('not a private key');
    return key;
  };

  const materialize = async (c: Candidate): Promise<AnyAuthMethod | undefined> => {
    const username = s.user;
    switch (c.kind) {
      case 'key': {
        const key = await loadKey(c);
        return key && { type: 'publickey', username, key };
      }
      case 'agent':
        return { type: 'agent', username, agent: c.socket };
      case 'password':
      case 'keyboard-interactive': {
        password ??= ask(() => resolvePassword(s));
        const pw = await password;
        if (pw === undefined) return undefined;
        if (c.kind === 'password') return { type: 'password', username, password: pw };
        return {
          type: 'keyboard-interactive',
          username,
          // Every prompt of the first round gets the password (PAM asks "Password: ").
          prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => pw)),
        };
      }
    }
  };

  attempt.handler = (authsLeft, _partial, next) => {
    // ssh2 accepts `false` ("nothing left to try"); @types/ssh2 omits it.
    const done = next as (method: AnyAuthMethod | false) => void;
    void (async () => {
      while (cursor < list.length) {
        const c = list[cursor++];
        if (c === undefined) break;
        if (authsLeft && !authsLeft.includes(protocolMethod(c))) continue;
        const method = await materialize(c);
        if (!method) continue;
        attempt.tried.push(describe(c));
        done(method);
        return;
      }
      done(false);
    })().catch((err: unknown) => {
      attempt.fatal = err instanceof Error ? err : new Error(String(err));
      done(false);
    });
  };
  return attempt;
}

/** The end of an authentication failure message: what was tried, and what was not possible. */
export function authFailureDetail(attempt: AuthAttempt, settings: Pick<AuthSettings, 'passwordEnv' | 'env'>): string {
  const parts = [attempt.tried.length > 0 ? `tried ${attempt.tried.join(', ')}` : 'no credentials to try'];
  if (attempt.notes.length > 0) parts.push(`skipped ${attempt.notes.join('; ')}`);
  if (settings.passwordEnv && !settings.env[settings.passwordEnv]) parts.push(`$${settings.passwordEnv} is not set`);
  if (!attempt.tried.length) parts.push('set ssh.identityFile, load a key into ssh-agent (SSH_AUTH_SOCK), or set ssh.passwordEnv / --ask-pass');
  return parts.join('; ');
}
