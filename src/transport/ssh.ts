/**
 * The SSH transport: one ssh2 connection per host (optionally through a bastion),
 * reused for every script; each script is one exec session fed on stdin.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { hostPort } from '../cluster/net.js';
import type { Host } from '../cluster/types.js';
import { TransportError } from '../errors.js';
import { passwordSource, sudoPassword } from './auth.js';
import { acquireBastion, type BastionLease } from './bastion.js';
import { describeScript, scriptCommand, signalExitStatus, sudoProblemMessage, SudoWatch } from './command.js';
import { LineSplitter } from './lines.js';
import type { CredentialPrompts } from './prompts.js';
import { openClient, type ConnectSettings, type Endpoint } from './ssh-connect.js';
import { resolveSshConfig, type SshConfigQuery } from './ssh-config.js';
import { announcingSession, sessionGroup, stopSessionGroup } from './ssh-stop.js';
import type { OutputHandlers, Transport } from './types.js';

export interface SshTransportOptions {
  acceptNewHostKeys: boolean;
  /** Default: ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  /** TCP connect + SSH handshake + login; time spent answering a prompt does not count. Default 10000. */
  connectTimeoutMs?: number;
  /** Default 5000: with keepaliveCountMax 3, a silent dead peer is noticed within ~20 s. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  prompts: CredentialPrompts;
  /** Whose ~/.ssh (keys, config, known_hosts) to use. Default: os.homedir(). */
  home?: string;
  /** SSH_AUTH_SOCK, passwordEnv's variable, K8SPREP_SSH_KEY_PASSPHRASE. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

interface Running {
  channel: ClientChannel;
  /** The process group the script runs in on the host, once the command line announced it. */
  pgid?: number;
  /** Rejects the run: the connection was lost, or close() ended it. */
  fail(): void;
}

export class SshTransport implements Transport {
  readonly hostName: string;
  private readonly settings: ConnectSettings;
  /** The cluster file's view until open() has read ~/.ssh/config, then where it really connects. */
  private endpoint: Endpoint;
  private connecting: Promise<Client> | undefined;
  private client: Client | undefined;
  private bastion: BastionLease | undefined;
  private sudoPassword: Promise<string | undefined> | undefined;
  private readonly running = new Set<Running>();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set once the connection dropped: later calls fail at once instead of reconnecting mid-run. */
  private lost = false;
  /** The socket/keepalive error that came with the loss, if any. */
  private lostDetail: string | undefined;

  constructor(
    private readonly host: Host,
    options: SshTransportOptions,
  ) {
    this.hostName = host.name;
    const home = options.home ?? homedir();
    this.settings = {
      acceptNewHostKeys: options.acceptNewHostKeys,
      knownHostsPath: options.knownHostsPath ?? join(home, '.ssh', 'known_hosts'),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      prompts: options.prompts,
      home,
      env: options.env ?? process.env,
    };
    const ssh = host.ssh;
    this.endpoint = {
      hostName: host.name,
      label: `${host.name} (${hostPort(host.address, ssh.port)})`,
      address: host.address,
      port: ssh.port,
      user: ssh.user,
      identityFile: ssh.identityFile,
      passwordEnv: ssh.passwordEnv,
    };
  }

  async connect(): Promise<void> {
    await this.ensureClient();
  }

  private ensureClient(): Promise<Client> {
    if (this.closed) return Promise.reject(new TransportError(this.hostName, `the connection to ${this.endpoint.label} was closed by k8sprep`));
    if (this.lost) return Promise.reject(new TransportError(this.hostName, this.lostMessage()));
    this.connecting ??= this.open().catch((err: unknown) => {
      // A failed attempt may be retried by calling connect() again.
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /** This host's and its jump host's endpoints: the cluster file's values, then ~/.ssh/config's (ssh-config.ts). */
  private async route(): Promise<{ endpoint: Endpoint; bastion?: Endpoint }> {
    const ssh = this.host.ssh;
    const origins = this.host.sshOrigins ?? {};
    const home = this.settings.home;
    const lookup = async (q: SshConfigQuery) => {
      try {
        return await resolveSshConfig(q);
      } catch (err) {
        throw new TransportError(this.hostName, err instanceof Error ? err.message : String(err), { cause: err });
      }
    };
    const mine = await lookup({ home, host: this.host.address, user: origins.user ? ssh.user : undefined, port: origins.port ? ssh.port : undefined });
    const address = mine.hostName ?? this.host.address;
    const port = mine.port ?? ssh.port;
    const endpoint: Endpoint = {
      hostName: this.host.name,
      label: `${this.host.name} (${hostPort(address, port)})`,
      address,
      port,
      user: mine.user ?? ssh.user,
      identityFile: ssh.identityFile,
      configIdentityFiles: mine.identityFiles,
      passwordEnv: ssh.passwordEnv,
    };
    // The cluster file's bastion wins over ProxyJump; either one's own ~/.ssh/config entry still applies.
    const jump = ssh.bastion ?? mine.proxyJump;
    if (!jump) return { endpoint };
    const viaConfig = await lookup({ home, host: jump.host, user: jump.user, port: jump.port });
    const b = { address: viaConfig.hostName ?? jump.host, port: jump.port ?? viaConfig.port ?? 22, user: jump.user ?? viaConfig.user ?? 'root' };
    const bastion: Endpoint = {
      hostName: this.hostName,
      label: `bastion ${hostPort(b.address, b.port)}${ssh.bastion ? '' : ` (ProxyJump in ${join(home, '.ssh', 'config')})`}`,
      ...b,
      identityFile: ssh.bastion?.identityFile,
      configIdentityFiles: viaConfig.identityFiles,
      passwordEnv: ssh.passwordEnv,
    };
    return { endpoint, bastion };
  }

  private async open(): Promise<Client> {
    const route = await this.route();
    this.endpoint = route.endpoint;
    const sock = route.bastion ? await this.throughBastion(route.bastion) : undefined;
    let client: Client;
    try {
      client = await openClient(this.endpoint, this.settings, sock);
    } catch (err) {
      sock?.destroy();
      this.releaseBastion();
      throw err;
    }
    if (this.closed) {
      client.end();
      this.releaseBastion();
      throw new TransportError(this.hostName, `the connection to ${this.endpoint.label} was closed by k8sprep`);
    }
    this.client = client;
    client.on('error', (err: Error) => {
      this.lostDetail ??= err.message;
    });
    client.on('close', () => this.onConnectionClosed());
    return client;
  }

  /** Logs in to the bastion (shared) and opens a direct-tcpip channel to this host through it. */
  private async throughBastion(endpoint: Endpoint): Promise<Duplex> {
    const label = endpoint.label;
    // Hosts share a bastion login only when every input of that login is the same.
    const key = JSON.stringify([
      endpoint.address,
      endpoint.port,
      endpoint.user,
      endpoint.identityFile ?? '',
      endpoint.configIdentityFiles ?? [],
      this.host.ssh.passwordEnv ?? '',
      this.settings.knownHostsPath,
      this.settings.home,
    ]);
    this.bastion = await acquireBastion(key, this.hostName, () => openClient(endpoint, this.settings));
    const client = this.bastion.client;
    const target = hostPort(this.endpoint.address, this.endpoint.port);
    const timeoutMs = this.settings.connectTimeoutMs;
    try {
      return await new Promise<Duplex>((resolve, reject) => {
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          reject(new TransportError(this.hostName, `${label} could not reach ${this.endpoint.label} within ${timeoutMs} ms`));
        }, timeoutMs);
        // The source address is informational for the bastion's sshd; it connects from its own side.
        client.forwardOut('127.0.0.1', 0, this.endpoint.address, this.endpoint.port, (err, stream) => {
          clearTimeout(timer);
          if (timedOut) stream?.destroy();
          else if (err)
            reject(new TransportError(this.hostName, `${label} could not open a connection to ${target} for ${this.hostName}: ${err.message}`, { cause: err }));
          else resolve(stream);
        });
      });
    } catch (err) {
      this.releaseBastion();
      throw err;
    }
  }

  private releaseBastion(): void {
    this.bastion?.release();
    this.bastion = undefined;
  }

  private lostMessage(what?: string): string {
    const during = what ? ` while running ${what}` : '';
    return `connection to ${this.endpoint.label} lost${during}${this.lostDetail ? ` (${this.lostDetail})` : ''}`;
  }

  private onConnectionClosed(): void {
    this.client = undefined;
    this.releaseBastion();
    if (this.closed) return;
    this.lost = true;
    for (const run of [...this.running]) run.fail();
  }

  async runScript(script: string, args: readonly string[], handlers: OutputHandlers = {}): Promise<number> {
    const client = await this.ensureClient();
    const root = this.endpoint.user === 'root';
    const password = root
      ? undefined
      : await (this.sudoPassword ??= sudoPassword(this.hostName, { ...this.endpoint, env: this.settings.env, prompts: this.settings.prompts }));
    const { command: bare, stdinPrefix } = scriptCommand(args, { root, sudoPassword: password });
    const command = announcingSession(bare);
    const what = describeScript(script);

    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let run: Running | undefined;
      const finish = (result: { code: number } | { error: TransportError }) => {
        if (settled) return;
        settled = true;
        if (run) this.running.delete(run);
        if ('code' in result) resolve(result.code);
        else reject(result.error);
      };

      const started = (err: Error | undefined, channel: ClientChannel) => {
        if (err) {
          const message = this.lost ? this.lostMessage(what) : `cannot start a session on ${this.endpoint.label} for ${what}: ${err.message}`;
          finish({ error: new TransportError(this.hostName, message, { cause: err }) });
          return;
        }
        run = {
          channel,
          fail: () => {
            const message = this.closed ? `the session on ${this.endpoint.label} was ended by k8sprep while running ${what}` : this.lostMessage(what);
            finish({ error: new TransportError(this.hostName, message) });
          },
        };
        if (settled) return void channel.close();
        this.running.add(run);

        const sudo = new SudoWatch(!root);
        let exit: number | undefined;
        const stdout = new LineSplitter((line) => {
          sudo.stdoutLine();
          handlers.onStdoutLine?.(line);
        });
        const stderr = new LineSplitter((line) => {
          // The command line's first words are its process group (see ssh-stop.ts); only
          // login noise (a shell rc file's) can come before it.
          const pgid = run?.pgid === undefined ? sessionGroup(line) : undefined;
          if (pgid !== undefined && run) return void (run.pgid = pgid);
          sudo.stderrLine(line);
          handlers.onStderrLine?.(line);
        });
        channel.on('data', (d: Buffer) => stdout.push(d));
        channel.stderr.on('data', (d: Buffer) => stderr.push(d));
        channel.on('exit', (code: number | null, signal?: string) => {
          exit = code ?? signalExitStatus(signal);
        });
        // 'close' follows stdout's end; stderr is a separate stream and may still hold data.
        let pending = 2;
        const done = () => {
          if (--pending > 0) return;
          stdout.end();
          stderr.end();
          if (exit === undefined) {
            const message = this.lost ? this.lostMessage(what) : `the session on ${this.endpoint.label} ended without an exit status while running ${what}`;
            return finish({ error: new TransportError(this.hostName, message) });
          }
          if (sudo.problem && exit !== 0) {
            const source = password === undefined ? undefined : passwordSource({ passwordEnv: this.endpoint.passwordEnv, env: this.settings.env });
            return finish({ error: new TransportError(this.hostName, sudoProblemMessage(sudo.problem, this.hostName, this.endpoint.user, source)) });
          }
          finish({ code: exit });
        };
        channel.on('close', done);
        if (channel.stderr.readableEnded) done();
        else channel.stderr.once('end', done);
        channel.on('error', () => undefined);
        channel.end(stdinPrefix + script);
      };
      try {
        client.exec(command, started);
      } catch (err) {
        // ssh2 throws at once when the socket is already gone.
        finish({ error: new TransportError(this.hostName, this.lostMessage(what), { cause: err }) });
      }
    });
  }

  /**
   * Ends every running script and the connection. A second call waits for the first one's
   * work: Ctrl-C starts the close, and the run's end must not exit before the TERM reached the host.
   */
  close(): Promise<void> {
    this.closing ??= this.stopAndDisconnect();
    return this.closing;
  }

  private async stopAndDisconnect(): Promise<void> {
    this.closed = true;
    const runs = [...this.running];
    for (const run of runs) run.fail();
    // Closing a run means stopping it (Ctrl-C): TERM to its process group on the host (the
    // shell, sudo, bash -s and the step's commands). Without it the script would carry on
    // until its next write hit the closed pipe — or forever, if it never writes again.
    const live = this.client;
    if (live) {
      const root = this.endpoint.user === 'root';
      const sudoPassword = root ? undefined : await this.sudoPassword?.catch(() => undefined);
      const pgids = runs.flatMap((run) => (run.pgid === undefined ? [] : [run.pgid]));
      await Promise.all(pgids.map((pgid) => stopSessionGroup(live, pgid, { root, sudoPassword })));
    }
    for (const run of runs) run.channel.close();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    if (client) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.end();
      });
    }
    this.releaseBastion();
  }
}
