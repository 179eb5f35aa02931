/**
 * A real OpenSSH sshd for the transport tests, on a loopback address, with its own host
 * key, authorized_keys and log in a temp dir. It runs in a private mount namespace with a
 * tmpfs on /run, because sshd insists on its privilege-separation directory /run/sshd
 * and the tests must not create it on the real machine. Stopped only by its own PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { shq } from '../../../src/script/quote.js';

export const SSHD = '/usr/sbin/sshd';

/** Fails (never skips) when a tool is missing, naming the Debian package. */
export function requireTool(path: string, pkg: string): void {
  if (!existsSync(path))
    throw new Error(`${path} is missing: install the Debian package \`${pkg}\` (apt-get install ${pkg}); these tests do not skip without it`);
}

export function requireSshd(): void {
  requireTool(SSHD, 'openssh-server');
  requireTool('/usr/bin/ssh-keygen', 'openssh-client');
  requireTool('/usr/bin/ssh-agent', 'openssh-client');
  requireTool('/usr/bin/unshare', 'util-linux');
}

export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input ?? '' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export type KeyType = 'ed25519' | 'rsa' | 'ecdsa';

/** ssh-keygen a key pair at `path` (+ .pub); returns the public key line. */
export function keygen(path: string, type: KeyType, passphrase = ''): string {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', 'k8sprep-test', '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** The base64 blob of a `type base64 comment` public key line, decoded. */
export function pubBlob(pubLine: string): Buffer {
  return Buffer.from(pubLine.split(/\s+/)[1] ?? '', 'base64');
}

export interface SshdOptions {
  /** Working dir for this sshd: config, host key, log, pid. */
  dir: string;
  address: string;
  port: number;
  authorizedKeys: string;
  hostKeyType?: KeyType;
  allowTcpForwarding?: boolean;
  extraConfig?: string[];
  /**
   * Files bind-mounted over the real ones inside sshd's private mount namespace (target ->
   * source), e.g. an /etc/passwd with test users: visible to sshd and its sessions only.
   */
  bindMounts?: Record<string, string>;
}

export class TestSshd {
  private child: ChildProcess | undefined;
  readonly logPath: string;
  readonly hostKeyPath: string;
  hostKeyPub = '';

  constructor(private readonly opts: SshdOptions) {
    this.logPath = join(opts.dir, 'sshd.log');
    this.hostKeyPath = join(opts.dir, `ssh_host_${opts.hostKeyType ?? 'ed25519'}_key`);
  }

  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('sshd is not running');
    return this.child.pid;
  }

  get hostKeyBlob(): Buffer {
    return pubBlob(this.hostKeyPub);
  }

  static async start(opts: SshdOptions): Promise<TestSshd> {
    const s = new TestSshd(opts);
    s.newHostKey();
    await s.launch();
    return s;
  }

  /** Replaces the host key (takes effect at the next start). */
  newHostKey(): void {
    this.hostKeyPub = keygen(this.hostKeyPath, this.opts.hostKeyType ?? 'ed25519');
  }

  private writeConfig(): string {
    const o = this.opts;
    const config = [
      `ListenAddress ${o.address}:${o.port}`,
      `HostKey ${this.hostKeyPath}`,
      `PidFile ${join(o.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${o.authorizedKeys}`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      `AllowTcpForwarding ${o.allowTcpForwarding ? 'yes' : 'no'}`,
      // DEBUG1 logs the direct-tcpip requests the bastion test looks for.
      'LogLevel DEBUG1',
      'MaxStartups 50',
      // sshd takes the first value it reads, so the test's own settings go before the defaults.
      ...(o.extraConfig ?? []),
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
    ].join('\n');
    const path = join(o.dir, 'sshd_config');
    writeFileSync(path, `${config}\n`);
    return path;
  }

  private async launch(): Promise<void> {
    const config = this.writeConfig();
    const log = openSync(this.logPath, 'a');
    // unshare execs sh, which execs sshd: the PID we get is sshd's own.
    const binds = Object.entries(this.opts.bindMounts ?? {}).map(([target, source]) => `mount --bind ${shq(source)} ${shq(target)} && `);
    // -E, not -e: with -e the session processes' debug lines would reach the client's stderr.
    const script = `${binds.join('')}mount -t tmpfs -o mode=755 k8sprep-test-run /run && mkdir -m 755 /run/sshd && exec ${SSHD} -D -E "$2" -f "$1"`;
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', config, this.logPath], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    const started = Date.now();
    const from = this.log().length;
    while (!this.log().slice(from).includes('Server listening on')) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}):\n${this.log().slice(from)}`);
      if (Date.now() - started > 10_000) throw new Error(`sshd did not start within 10 s:\n${this.log().slice(from)}`);
      await sleep(25);
    }
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Direct children of the listener: one per connection (the pre-auth/monitor process). */
  children(): number[] {
    return descendants(this.pid);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Sessions first (the listener does not take them down with it), then the listener.
    for (const pid of this.children().reverse()) killQuietly(pid, 'SIGKILL');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killQuietly(this.pid, 'SIGTERM');
    await exited;
    this.child = undefined;
  }

  async restart(opts: { newHostKey?: boolean } = {}): Promise<void> {
    await this.stop();
    if (opts.newHostKey) this.newHostKey();
    await this.launch();
  }
}

/** All descendants of `pid`, parents before children (via `ps --ppid`). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  for (const word of r.stdout.split(/\s+/)) {
    if (!/^\d+$/.test(word)) continue;
    const child = Number(word);
    out.push(child, ...descendants(child));
  }
  return out;
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
