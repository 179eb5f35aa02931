/**
 * ~/.ssh/config as OpenSSH itself reads it: `ssh -G` prints the settings it would use for a
 * host after Include, Host patterns, Match (host, user, exec, ...) and "first value wins".
 * k8sprep takes HostName, User, Port, IdentityFile and ProxyJump from it. A second `ssh -G`
 * with an empty config gives OpenSSH's defaults, so only what the file really sets counts.
 *
 * Precedence (like ssh's command line over its config): what the cluster file sets, then
 * ~/.ssh/config, then k8sprep's defaults (root, 22). The cluster file's values are passed to
 * `ssh -G` as -l/-p, so `Match user` sees the user k8sprep will log in as.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface JumpHost {
  host: string;
  user?: string;
  port?: number;
}

/** What ~/.ssh/config sets for one host; absent fields are not set there. */
export interface SshConfigForHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: JumpHost;
}

export interface SshConfigQuery {
  /** Whose ~/.ssh/config. */
  home: string;
  /** The address as written in the cluster file (what Host lines match). */
  host: string;
  /** Set in the cluster file: wins over the config (passed as -l / -p). */
  user?: string | undefined;
  port?: number | undefined;
}

/** ~/.ssh/config exists but cannot be read the way ssh reads it (no ssh client, a syntax error). */
export class SshConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConfigError';
  }
}

type Settings = Map<string, string[]>;

function sshG(config: string, q: SshConfigQuery): Promise<Settings> {
  const args = ['-G', '-F', config, ...(q.user ? ['-l', q.user] : []), ...(q.port ? ['-p', String(q.port)] : []), '--', q.host];
  return new Promise((done, fail) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'the OpenSSH client `ssh` that reads it is not installed (Debian: openssh-client)'
            : (stderr.trim().split('\n')[0] ?? err.message);
        return fail(new SshConfigError(`cannot read ${config} for ${q.host}: ${why}`));
      }
      const settings: Settings = new Map();
      for (const line of stdout.split('\n')) {
        const m = /^(\S+)\s+(.*)$/.exec(line);
        if (!m?.[1] || m[2] === undefined) continue;
        const key = m[1].toLowerCase();
        settings.set(key, [...(settings.get(key) ?? []), m[2]]);
      }
      done(settings);
    });
  });
}

/** `[user@]host[:port]`, `ssh://[user@]host[:port]`, IPv6 in brackets. One hop only. */
export function parseJump(spec: string): JumpHost {
  if (spec.includes(',')) throw new SshConfigError(`ProxyJump ${spec}: more than one jump host is not supported (use one, or spec.ssh.bastion)`);
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!m?.[2]) throw new SshConfigError(`ProxyJump ${spec}: not [user@]host[:port]`);
  return { host: m[2].replace(/^\[|\]$/g, ''), ...(m[1] ? { user: m[1] } : {}), ...(m[3] ? { port: Number(m[3]) } : {}) };
}

const first = (s: Settings, key: string) => s.get(key)?.[0];

/** What ~/.ssh/config sets for `q.host`; nothing (and no ssh run) when there is no such file. */
export async function resolveSshConfig(q: SshConfigQuery): Promise<SshConfigForHost> {
  const config = join(q.home, '.ssh', 'config');
  const exists = await access(config).then(
    () => true,
    () => false,
  );
  if (!exists) return { identityFiles: [] };
  const [mine, defaults] = await Promise.all([sshG(config, q), sshG('/dev/null', q)]);
  const out: SshConfigForHost = { identityFiles: [] };
  const differs = (key: string) => first(mine, key) !== undefined && first(mine, key) !== first(defaults, key);
  if (differs('hostname')) out.hostName = first(mine, 'hostname');
  if (!q.user && differs('user')) out.user = first(mine, 'user');
  if (!q.port && differs('port')) out.port = Number(first(mine, 'port'));
  const files = mine.get('identityfile') ?? [];
  if (files.join('\n') !== (defaults.get('identityfile') ?? []).join('\n')) out.identityFiles = files;
  const jump = first(mine, 'proxyjump');
  if (jump && jump !== 'none') out.proxyJump = parseJump(jump);
  return out;
}

/** Expands `~`, `%d` (home), `%h` (host), `%r` (remote user), `%u` (local user) and `%%` in an IdentityFile. */
export function expandIdentityPath(path: string, ctx: { home: string; host: string; remoteUser: string; localUser: string }): string {
  const expanded = path.replace(/%([%dhru])/g, (_, c: string) =>
    c === '%' ? '%' : c === 'd' ? ctx.home : c === 'h' ? ctx.host : c === 'r' ? ctx.remoteUser : ctx.localUser,
  );
  if (expanded === '~') return ctx.home;
  if (expanded.startsWith('~/')) return join(ctx.home, expanded.slice(2));
  return resolve(expanded);
}
