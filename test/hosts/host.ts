/**
 * One test host: host-init.sh as PID 1 of its own pid/mount/UTS/IPC/network namespaces, an
 * sshd inside, and the TestHost methods. Every process of the host is in its pid namespace,
 * so "every process of this host" is exact: stopSshd kills the namespace's members (found
 * by their /proc/PID/ns/pid link, never by name) except the init; stop kills the init, and
 * the kernel then kills the rest and frees the mounts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isZombie, killRecorded, run, settlesWithin, sleep, startTime, SYSTEM_PATH } from './proc.js';
import type { BlockHandle, ExecResult, HostStat, TestHost, TestHostOs } from './types.js';

export const HARNESS_DIR = fileURLToPath(new URL('.', import.meta.url));
const STATE = '/var/lib/k8sprep-testhost';
const CALLS = '/var/log/k8sprep-testhost/calls.log';

/** Everything host-init.sh needs (it reads them from its environment). */
export interface HostEnv {
  TH_HOST_NAME: string;
  TH_ADDR: string;
  TH_PREFIXLEN: string;
  TH_SUBNET: string;
  TH_BRIDGE: string;
  TH_VETH: string;
  TH_MNT: string;
  TH_OS: TestHostOs;
  TH_OS_RELEASE: string;
  TH_PRETTY: string;
  TH_KERNEL: string;
  TH_ARCH_KUBE: string;
  TH_MACHINE_ID: string;
  TH_CLIENT_KEY: string;
  /** crypt(3) hash of the admin password. */
  TH_PASSWORD_HASH: string;
  TH_SUDO: 'nopasswd' | 'password';
  /** The fleet's shared cluster directory, bind-mounted at /var/lib/k8sprep-testcluster. */
  TH_CLUSTER_DIR?: string;
}

/** The PIDs (with start times) a crashed run's cleanup may kill: see cleanup.sh. */
export interface PidRecord {
  pid: number;
  start: string | undefined;
}

export class Host implements TestHost {
  readonly os: TestHostOs;
  hostKeyLine = '';
  /** host-init.sh's PID as the root pid namespace sees it. */
  initPid = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private listening: (() => void) | undefined;
  private pidnsLink = '';
  private recorded: PidRecord[] = [];

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly env: HostEnv,
    private readonly logFile: string,
  ) {
    this.os = env.TH_OS;
  }

  /** Processes to kill if this test process dies without stop(): the init and unshare. */
  pids(): PidRecord[] {
    return this.recorded;
  }

  async start(timeoutMs: number): Promise<void> {
    // TH_TRACE=1: host-init.sh traces itself, with timestamps, into each host's log.
    const trace = process.env.TH_TRACE ? { TH_TRACE: '1' } : {};
    const log = createWriteStream(this.logFile, { flags: 'a' }).on('error', () => undefined); // a log is no reason to fail
    // --pdeathsig: if the test process dies, unshare dies, and --kill-child takes the
    // host's init (and so its whole pid namespace and mounts) with it.
    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        'unshare',
        '--mount',
        '--uts',
        '--ipc',
        '--net',
        '--pid',
        '--fork',
        '--kill-child',
        '--propagation',
        'private',
        'bash',
        join(HARNESS_DIR, 'host-init.sh'),
      ],
      {
        env: { PATH: SYSTEM_PATH, LANG: 'C', TH_DIR: HARNESS_DIR, TH_ROOT_NETNS: `/proc/${process.pid}/ns/net`, ...this.env, ...trace },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    void this.exited.then(() => log.end());
    const tail: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let hostKey = false;
      let sshd = false;
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => settle(this.failure(`did not start within ${timeoutMs} ms`, tail)), timeoutMs);
      const check = () => hostKey && sshd && this.initPid > 0 && settle();
      lines(child.stdout, (line) => {
        log.write(`${line}\n`);
        const [tag, ...rest] = line.split(' ');
        if (tag === 'TH-PID') this.adopt(Number(rest[0]), child.pid!);
        if (tag === 'TH-HOSTKEY') {
          this.hostKeyLine = `${this.address} ${rest.slice(0, 2).join(' ')}`;
          hostKey = true;
        }
        check();
      });
      lines(child.stderr, (line) => {
        log.write(`${line}\n`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (/^Server listening on /.test(line)) {
          this.listening?.();
          sshd = true;
          check();
        }
      });
      child.on('error', (e) => settle(e));
      child.on('close', (code) => settle(this.failure(`exited with ${code}`, tail)));
    });
  }

  /** Records the host's init (as soon as it says its PID) and unshare, for stop and cleanup. */
  private adopt(initPid: number, unsharePid: number): void {
    this.initPid = initPid;
    this.pidnsLink = readlinkSync(`/proc/${initPid}/ns/pid`);
    this.recorded = [initPid, unsharePid].map((pid) => ({ pid, start: startTime(pid) }));
  }

  private failure(what: string, tail: string[]): Error {
    return new Error(`test host ${this.name} (${this.address}) ${what}; log ${this.logFile}:\n${tail.join('\n')}`);
  }

  /**
   * Kills the whole host and waits until no process of it is left. Killing the init makes
   * the kernel kill the rest of its pid namespace; unshare then reaps it and exits (killing
   * unshare first would leave the init to this machine's PID 1, which may not reap).
   */
  async stop(): Promise<void> {
    const [init, unshare] = this.recorded;
    if (!init) {
      // start() failed before the host said who it is: unshare --kill-child takes the rest.
      if (this.child?.pid) killRecorded(this.child.pid, startTime(this.child.pid));
      await settlesWithin(this.exited, 5000);
      return;
    }
    killRecorded(init.pid, init.start);
    if (!(await settlesWithin(this.exited, 5000)) && unshare) killRecorded(unshare.pid, unshare.start);
    for (const end = Date.now() + 5000; this.members(true).length > 0; await sleep(20)) {
      if (Date.now() > end) throw new Error(`test host ${this.name}: processes outlived stop: ${this.members(true).join(' ')}`);
    }
  }

  // ---- files ----------------------------------------------------------------------------

  /** The init's root (the overlay) as a path in our mount namespace. */
  private get root(): string {
    if (!this.initPid) throw new Error(`test host ${this.name} is not running`);
    return `/proc/${this.initPid}/root`;
  }

  /**
   * `path` inside the host as a path here. Symlinks are resolved by hand: through
   * /proc/PID/root an absolute symlink target would resolve against our own root, i.e. the
   * real machine's files.
   */
  private async resolve(path: string, followLast = true): Promise<string> {
    const parts = posix.resolve('/', path).split('/').filter(Boolean);
    let done = '/';
    for (let hops = 0; parts.length > 0;) {
      const part = parts.shift()!;
      const next = posix.join(done, part);
      const st = await lstat(this.root + next).catch(() => undefined);
      if (st?.isSymbolicLink() && (followLast || parts.length > 0)) {
        if (++hops > 40) throw new Error(`${this.name}:${path}: too many levels of symbolic links`);
        const target = await readlink(this.root + next);
        parts.unshift(...target.split('/').filter(Boolean));
        if (target.startsWith('/')) done = '/';
        continue;
      }
      done = next;
    }
    return this.root + done;
  }

  async readFile(path: string): Promise<string> {
    return readFile(await this.resolve(path), 'utf8');
  }

  async exists(path: string): Promise<boolean> {
    return lstat(await this.resolve(path)).then(
      () => true,
      () => false,
    );
  }

  async stat(path: string, opts: { lstat?: boolean } = {}): Promise<HostStat> {
    const st = await (opts.lstat ? lstat : stat)(await this.resolve(path, !opts.lstat));
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size, type };
  }

  async exec(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return run('nsenter', ['-t', String(this.initPid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', ...argv], {
      input: opts.input,
      timeoutMs: opts.timeoutMs,
      env: { PATH: SYSTEM_PATH, HOME: '/root', LANG: 'C', USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash' },
    });
  }

  private async execOk(argv: readonly string[], input?: string): Promise<string> {
    const r = await this.exec(argv, { input });
    if (r.code !== 0) throw new Error(`${this.name}: ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Writes a file inside the host, by a process inside it (never through /proc/PID/root). */
  private async writeFile(path: string, content: string): Promise<void> {
    await this.execOk(['/bin/sh', '-c', 'mkdir -p "$(dirname "$1")" && cat >"$1"', 'sh', path], content);
  }

  async calls(): Promise<string[][]> {
    const text = await this.readFile(CALLS);
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  }

  async logins(): Promise<number> {
    // sshd (-e) logs to the host's log; let a line written just now reach the file first.
    await sleep(100);
    const log = await readFile(this.logFile, 'utf8').catch(() => '');
    return log.split('\n').filter((l) => /^Accepted \S+ for /.test(l)).length;
  }

  async fileSnapshot(paths?: readonly string[]): Promise<Map<string, string>> {
    // The overlay's upper directory holds exactly what differs from the real /: walk it from
    // inside the host's mount namespace (it is outside the host's chroot).
    const script = `cd "$1" && find . -mindepth 1 \\( -path ./var/log/k8sprep-testhost/calls.log -o -path ./var/lib/k8sprep-testhost/.lock \\) -prune -o -printf '%y\\t%m\\t%U:%G\\t%P\\t%l\\n'`;
    const r = await run('nsenter', ['-t', String(this.initPid), '-m', '--', 'sh', '-c', script, 'sh', `${this.env.TH_MNT}/upper`]);
    if (r.code !== 0) throw new Error(`${this.name}: snapshot failed: ${r.stderr}`);
    const wanted = (p: string) => !paths || paths.some((w) => p === w || p.startsWith(w.endsWith('/') ? w : `${w}/`));
    const snap = new Map<string, string>();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [type, mode, owner, rel, target] = line.split('\t') as [string, string, string, string, string];
      const path = `/${rel}`;
      if (!wanted(path)) continue;
      const m = mode.padStart(4, '0');
      if (type === 'f') {
        const content = await readFile(await this.resolve(path, false));
        snap.set(path, `file ${m} ${owner} sha256:${createHash('sha256').update(content).digest('hex')}`);
      } else if (type === 'd') snap.set(path, `dir ${m} ${owner}`);
      else if (type === 'l') snap.set(path, `symlink -> ${target}`);
      else if (type === 'c')
        snap.set(path, 'deleted'); // an overlay whiteout
      else snap.set(path, `${type} ${m} ${owner}`);
    }
    return snap;
  }

  // ---- failure injection and blocking ---------------------------------------------------

  async injectFailure(kind: 'package-install' | 'command', target: string, message: string): Promise<void> {
    if (!/^[A-Za-z0-9._+-]+$/.test(target)) throw new Error(`injectFailure: bad name ${target}`);
    await this.writeFile(`${STATE}/fail/${kind}/${target}`, message.endsWith('\n') ? message : `${message}\n`);
  }

  async clearFailures(): Promise<void> {
    await this.execOk(['/bin/sh', '-c', `rm -f ${STATE}/fail/package-install/* ${STATE}/fail/command/*`]);
  }

  async block(standIn: string): Promise<BlockHandle> {
    if (!/^[A-Za-z0-9._+-]+$/.test(standIn)) throw new Error(`block: bad name ${standIn}`);
    const flag = `${STATE}/block/${standIn}`;
    await this.writeFile(flag, '');
    return {
      waitUntilBlocked: async (timeoutMs = 10_000) => {
        for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(20)) {
          if (await this.exists(`${flag}.waiting`)) return;
        }
        throw new Error(`${this.name}: no ${standIn} call blocked within ${timeoutMs} ms`);
      },
      release: async () => {
        await this.execOk(['rm', '-f', flag]);
      },
    };
  }

  // ---- sshd -------------------------------------------------------------------------------

  /** PIDs in the host's pid namespace except its init (and zombies, unless withDead). */
  private members(withDead = false): number[] {
    const out: number[] = [];
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!/^\d+$/.test(entry) || (pid === this.initPid && !withDead)) continue;
      try {
        // Zombies are already dead (the init reaps them).
        if (readlinkSync(`/proc/${pid}/ns/pid`) === this.pidnsLink && (withDead || !isZombie(pid))) out.push(pid);
      } catch {
        // exited meanwhile
      }
    }
    return out;
  }

  async stopSshd(): Promise<void> {
    await this.killAll(() => this.members(), 'stopSshd');
  }

  /**
   * Kills sshd only (the daemon and every session's sshd), leaving the programs the sessions
   * started running: what a lost connection does to a host. sshd's processes are those whose
   * executable is the host's sshd binary (same device and inode), not a name.
   */
  async dropSshd(): Promise<void> {
    const binaries = ['/usr/sbin/sshd', '/usr/lib/openssh/sshd-session', '/usr/lib/openssh/sshd-auth']
      .map((p) => statOrUndefined(`${this.root}${p}`))
      .filter((s): s is NonNullable<typeof s> => s !== undefined);
    const isSshd = (pid: number) => {
      const st = statOrUndefined(`/proc/${pid}/exe`);
      return st !== undefined && binaries.some((b) => b.dev === st.dev && b.ino === st.ino);
    };
    await this.killAll(() => this.members().filter(isSshd), 'dropSshd');
  }

  /** SIGKILLs what `select` returns (host members only) until nothing is left. */
  private async killAll(select: () => number[], what: string): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const pids = select();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(20);
    }
    const left = select().map((p) => `${p} ${readFileSync(`/proc/${p}/stat`, 'utf8').slice(0, 80)}`);
    throw new Error(`${this.name}: processes survived ${what}:\n${left.join('\n')}`);
  }

  async startSshd(timeoutMs = 10_000): Promise<void> {
    const up = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: sshd did not restart`)), timeoutMs);
      this.listening = () => {
        clearTimeout(timer);
        this.listening = undefined;
        resolve();
      };
    });
    process.kill(this.initPid, 'SIGUSR1'); // host-init.sh's init starts sshd on USR1
    await up;
  }
}

function statOrUndefined(path: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** Calls fn with each complete line of a stream. */
function lines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => buf && fn(buf));
}
