/**
 * A real haproxy (Debian's) in front of stand-in apiservers, for checking a rendered haproxy.cfg
 * by what it does: the health check takes a dead apiserver out, traffic reaches a live one.
 *
 * Everything runs in a private network namespace of its own (`unshare --net`, only `lo`, up):
 * a config's `bind *:8443` and the apiservers' 127.x.y.z:6443 are the lab's alone, never this
 * machine's, and any 127.0.0.0/8 address can be listened on. The apiservers are `openssl
 * s_server -HTTP` with a certificate for their address signed by the lab's CA, answering
 * /healthz, /readyz and /livez with `ok`. haproxy runs `-db` (foreground) with the config
 * given plus a second file holding a stats socket (an extra `global` section), which
 * serverState() reads with `show stat`. Every process is started with PR_SET_PDEATHSIG and
 * stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandMadePki } from '../hosts/kube-fixture.js';
import { run, sleep, SYSTEM_PATH } from '../hosts/proc.js';
import { LB_TOOLS, requireTools } from '../hosts/tools.js';
import type { ExecResult } from '../hosts/types.js';

export interface ApiserverSpec {
  name: string;
  /** A loopback address, e.g. 127.0.0.11 (the lab's own loopback). */
  address: string;
  /** Default 6443. */
  port?: number;
}

export interface LabApiserver {
  name: string;
  address: string;
  port: number;
  running(): boolean;
  /** Kills it (a dead control plane). */
  stop(): Promise<void>;
  /** Starts it again (same certificate). */
  start(): Promise<void>;
}

export interface HaproxyLab {
  /** The CA that signed the apiservers' certificates (a PEM file). */
  caFile: string;
  apiservers: LabApiserver[];
  apiserver(name: string): LabApiserver;
  /** Runs argv inside the lab's network namespace (e.g. curl to haproxy's frontend). */
  exec(argv: readonly string[]): Promise<ExecResult>;
  /** `haproxy -c` (throws with its output when the config is refused), then `haproxy -f cfg -db`. */
  startHaproxy(cfg: string): Promise<void>;
  /** haproxy's output so far (its `log stdout` lines and warnings). */
  haproxyLog(): string;
  /** The `status` column of `show stat` for backend/server: UP, DOWN, MAINT, "UP 1/3", ... */
  serverState(backend: string, server: string): Promise<string>;
  /** Polls serverState until it starts with `state` (rejects after timeoutMs, default 15 s). */
  waitForServerState(backend: string, server: string, state: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The tools the lab needs; throws naming the Debian packages when one is missing. */
export function requireLabTools(): void {
  requireTools(LB_TOOLS);
}

class Process {
  readonly exited: Promise<void>;
  private done = false;

  constructor(
    readonly child: ChildProcess,
    logFile: string,
  ) {
    const append = (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' });
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    void this.exited.then(() => (this.done = true));
  }

  alive(): boolean {
    return !this.done;
  }

  async stop(): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGKILL'); // by its own PID: node's ChildProcess.kill signals child.pid only
    await this.exited;
  }
}

function inLab(nsPid: number, argv: readonly string[], log: string): Process {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'nsenter', `--net=/proc/${nsPid}/ns/net`, '--', ...argv], {
    env: { PATH: SYSTEM_PATH, LANG: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Process(child, log);
}

/** kubeadm's docs/ha-considerations.md haproxy.cfg (newer text): port 8443, the given `server` lines as its backend. */
export function kubeadmGuideHaproxyCfg(servers: readonly string[]): string {
  return `global
    log stdout format raw local0
    daemon

defaults
    mode                    http
    log                     global
    option                  httplog
    option                  dontlognull
    option http-server-close
    option                  redispatch
    retries                 1
    timeout http-request    10s
    timeout queue           20s
    timeout connect         5s
    timeout client          35s
    timeout server          35s
    timeout http-keep-alive 10s
    timeout check           10s

frontend apiserver
    bind *:8443
    mode tcp
    option tcplog
    default_backend apiserverbackend

backend apiserverbackend
    option httpchk

    http-check connect ssl
    http-check send meth GET uri /healthz
    http-check expect status 200

    mode tcp
    balance     roundrobin
${servers.map((s) => `    ${s}\n`).join('')}`;
}

/** A CA and, per stand-in apiserver, a serving certificate for its address and name. */
async function makeCertificates(dir: string, servers: readonly Required<ApiserverSpec>[]): Promise<void> {
  const pki = new HandMadePki(dir);
  await pki.ca('ca', 'kubernetes');
  for (const s of servers) await pki.leaf(s.name, join(dir, 'ca'), 'kube-apiserver', [s.address, s.name]);
}

export async function startHaproxyLab(specs: readonly ApiserverSpec[]): Promise<HaproxyLab> {
  requireLabTools();
  const dir = mkdtempSync(join(tmpdir(), 'k8sprep-haproxy-lab-'));
  const servers = specs.map((s) => ({ ...s, port: s.port ?? 6443 }));
  const procs: Process[] = [];
  // The namespace holder: its own network namespace with lo up, then it sleeps until killed.
  const holder = new Process(
    spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && echo up && exec sleep infinity'], {
      env: { PATH: SYSTEM_PATH, LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    join(dir, 'holder.log'),
  );
  procs.push(holder);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      holder.child.stdout!.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      void holder.exited.then(() => reject(new Error(`haproxy lab: the network namespace did not come up: ${readFileSync(join(dir, 'holder.log'), 'utf8')}`)));
    });
    const nsPid = holder.child.pid!;
    await makeCertificates(dir, servers);
    const apiservers = servers.map((s) => labApiserver(dir, nsPid, s, procs));
    for (const a of apiservers) await a.start();
    let haproxy: Process | undefined;
    const socket = join(dir, 'haproxy.sock');
    const exec = (argv: readonly string[]) => run('nsenter', [`--net=/proc/${nsPid}/ns/net`, '--', ...argv]);
    const lab: HaproxyLab = {
      caFile: join(dir, 'ca.crt'),
      apiservers,
      apiserver: (name) => {
        const a = apiservers.find((x) => x.name === name);
        if (!a) throw new Error(`haproxy lab: no apiserver ${name}`);
        return a;
      },
      exec,
      startHaproxy: async (cfg) => {
        if (haproxy) throw new Error('haproxy lab: haproxy runs already');
        writeFileSync(join(dir, 'haproxy.cfg'), cfg);
        writeFileSync(join(dir, 'stats.cfg'), `global\n    stats socket ${socket} mode 600 level admin\n`);
        const files = ['-f', join(dir, 'haproxy.cfg'), '-f', join(dir, 'stats.cfg')];
        const check = await exec(['/usr/sbin/haproxy', '-c', ...files]);
        if (check.code !== 0) throw new Error(`haproxy refused the config:\n${check.stdout}${check.stderr}`);
        haproxy = inLab(nsPid, ['/usr/sbin/haproxy', ...files, '-db'], join(dir, 'haproxy.log'));
        procs.push(haproxy);
        for (const end = Date.now() + 10_000; ; await sleep(50)) {
          if (!haproxy.alive()) throw new Error(`haproxy exited:\n${lab.haproxyLog()}`);
          if ((await statsCommand(socket, 'show info').catch(() => '')).includes('Name: HAProxy')) return;
          if (Date.now() > end) throw new Error(`haproxy's stats socket did not answer:\n${lab.haproxyLog()}`);
        }
      },
      haproxyLog: () => {
        try {
          return readFileSync(join(dir, 'haproxy.log'), 'utf8');
        } catch {
          return '';
        }
      },
      serverState: async (backend, server) => {
        const csv = await statsCommand(socket, 'show stat');
        const [header, ...rows] = csv.split('\n').filter(Boolean);
        const cols = header!.replace(/^# /, '').split(',');
        const row = rows.map((r) => r.split(',')).find((r) => r[0] === backend && r[1] === server);
        if (!row) throw new Error(`haproxy lab: no server ${backend}/${server} in show stat`);
        return row[cols.indexOf('status')]!;
      },
      waitForServerState: async (backend, server, state, timeoutMs = 15_000) => {
        let last = '';
        for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) {
          last = await lab.serverState(backend, server);
          if (last.startsWith(state)) return;
        }
        throw new Error(`haproxy lab: ${backend}/${server} is ${last}, not ${state}, after ${timeoutMs} ms`);
      },
      stop,
    };
    return lab;
  } catch (e) {
    await stop();
    throw e;
  }
}

function labApiserver(dir: string, nsPid: number, s: Required<ApiserverSpec>, procs: Process[]): LabApiserver {
  const www = join(dir, `www-${s.name}`);
  mkdirSync(www);
  for (const path of ['healthz', 'readyz', 'livez']) {
    writeFileSync(join(www, path), 'HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok');
  }
  let proc: Process | undefined;
  const api: LabApiserver = {
    name: s.name,
    address: s.address,
    port: s.port,
    running: () => proc?.alive() ?? false,
    stop: async () => {
      await proc?.stop();
    },
    start: async () => {
      if (api.running()) return;
      const base = join(dir, s.name);
      proc = inLab(
        nsPid,
        [
          'sh',
          '-c',
          'cd "$1" && exec openssl s_server -quiet -accept "$2" -cert "$3" -key "$4" -HTTP',
          'sh',
          www,
          `${s.address}:${s.port}`,
          `${base}.crt`,
          `${base}.key`,
        ],
        join(dir, `${s.name}.log`),
      );
      procs.push(proc);
      const probe = ['curl', '-sf', '--max-time', '2', '--cacert', join(dir, 'ca.crt'), `https://${s.address}:${s.port}/healthz`];
      for (const end = Date.now() + 10_000; ; await sleep(50)) {
        if (!proc.alive()) throw new Error(`haproxy lab: apiserver ${s.name} exited: ${readFileSync(join(dir, `${s.name}.log`), 'utf8')}`);
        if ((await run('nsenter', [`--net=/proc/${nsPid}/ns/net`, '--', ...probe])).stdout === 'ok') return;
        if (Date.now() > end) throw new Error(`haproxy lab: apiserver ${s.name} does not answer /healthz`);
      }
    },
  };
  return api;
}

/** One command on haproxy's stats socket; resolves with its whole answer. */
function statsCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const conn = connect(socket, () => conn.end(`${command}\n`));
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => (out += d));
    conn.on('error', reject);
    conn.on('close', () => resolve(out));
  });
}
