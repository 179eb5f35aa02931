/**
 * A fixture root for running a step's rendered script for real, without a test host: the
 * script runs as root in `chroot` over a copy-on-write overlay of this machine's `/`, inside
 * private mount and UTS namespaces (`unshare`), so what it writes, deletes or names lands in
 * the overlay and nothing on this machine changes. The overlay's upper layer persists between
 * runs (in a temp dir of this test), so a second run sees the first one's results, and the
 * test reads the files the script wrote from it; so does the hostname (first `fixture`).
 *
 * Commands are fakes: small bash scripts the test writes into /usr/local/sbin (first on the
 * scripts' PATH), each recording its call in CALLS_LOG. Commands that act on the whole
 * machine whatever the namespace (modprobe, swapoff, sysctl -w, systemctl...) always get a
 * fake, by default one that only records the call. Root only (like the test hosts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../helpers/cli.js';

/** Where the fakes record their calls: one line per call, the name and arguments tab-separated. */
export const CALLS_LOG = '/var/log/k8sprep-fixture-calls';
/** Machine-wide commands that never run for real in a fixture root. */
const GUARDED = ['modprobe', 'rmmod', 'insmod', 'swapoff', 'swapon', 'sysctl', 'setenforce', 'systemctl', 'hostnamectl', 'mount', 'umount', 'reboot'];
const FAKE_DIR = '/usr/local/sbin';
/** The scripts' PATH (src/script/preamble.ts). */
const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface RootFile {
  content: string;
  /** Default 0o644. */
  mode?: number;
}

export interface RootRunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Step id -> its last marker (begin, unchanged, changed, failed). */
  steps: Record<string, string>;
}

/**
 * One overlay root. `commands` maps a command name to the body of its fake (bash, `"$@"` are
 * its arguments; it can keep state in files of the root, e.g. under /var/lib/fixture).
 */
export class FixtureRoot {
  private readonly dir = tempDir('k8sprep-fixture-root-');
  private readonly upper = join(this.dir.path, 'upper');
  private readonly hostnameFile = join(this.dir.path, 'hostname');

  constructor(files: Record<string, string | RootFile> = {}, commands: Record<string, string> = {}) {
    if (process.getuid?.() !== 0) throw new Error('fixture roots need root (unshare, mount, chroot), like the test hosts');
    mkdirSync(this.upper);
    writeFileSync(this.hostnameFile, 'fixture\n');
    for (const name of GUARDED) this.fake(name, commands[name] ?? 'exit 0');
    for (const [name, body] of Object.entries(commands)) this.fake(name, body);
    for (const [path, file] of Object.entries(files)) this.write(path, typeof file === 'string' ? { content: file } : file);
  }

  /** Puts (or replaces) a file into the root. */
  write(path: string, file: RootFile): void {
    const target = this.hostPath(path);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { force: true });
    writeFileSync(target, file.content);
    chmodSync(target, file.mode ?? 0o644);
  }

  /**
   * Removes this machine's own copies of commands from the root (overlay whiteouts), so that
   * `command -v` finds only what a fake package manager installed there.
   */
  hide(names: readonly string[]): void {
    for (const name of names) {
      for (const dir of new Set(PATH_DIRS.filter((d) => existsSync(d)).map((d) => realpathSync(d)))) {
        if (!existsSync(join(dir, name)) && !isLink(join(dir, name))) continue;
        const target = this.hostPath(join(dir, name));
        mkdirSync(dirname(target), { recursive: true });
        rmSync(target, { force: true });
        const r = spawnSync('mknod', [target, 'c', '0', '0'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`mknod ${target}: ${r.stderr}`);
      }
    }
  }

  /** Puts (or replaces) the fake of `name`. */
  fake(name: string, body: string): void {
    const log = `printf '%s' ${JSON.stringify(name)} >>${CALLS_LOG}; printf '\\t%s' "$@" >>${CALLS_LOG}; printf '\\n' >>${CALLS_LOG}`;
    this.write(`${FAKE_DIR}/${name}`, { content: `#!/bin/bash\n${log}\n${body}\n`, mode: 0o755 });
  }

  /** A file the runs (or the fixture) put into the root; undefined when it is this machine's own or gone. */
  read(path: string): string | undefined {
    const target = this.hostPath(path);
    return existsSync(target) && lstatSync(target).isFile() ? readFileSync(target, 'utf8') : undefined;
  }

  /** Permission bits of a file the runs (or the fixture) put into the root. */
  mode(path: string): number | undefined {
    const target = this.hostPath(path);
    return existsSync(target) ? lstatSync(target).mode & 0o7777 : undefined;
  }

  /** The fakes' calls so far, oldest first: [name, ...args]. */
  calls(): string[][] {
    return (this.read(CALLS_LOG) ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
  }

  /** Calls of one fake, without its name. */
  callsOf(name: string): string[][] {
    return this.calls()
      .filter((c) => c[0] === name)
      .map((c) => c.slice(1));
  }

  clearCalls(): void {
    rmSync(this.hostPath(CALLS_LOG), { force: true });
  }

  /** The root's hostname now (what the last run left). */
  hostname(): string {
    return readFileSync(this.hostnameFile, 'utf8').trim();
  }

  /** Sends `script` to `bash -s -- args...` inside the root, as the transports do. */
  run(script: string, args: readonly string[] = ['fixture-run']): RootRunResult {
    const r = spawnSync('unshare', this.command(script, args), { encoding: 'utf8', env: this.env(), timeout: 60_000 });
    if (r.error) throw r.error;
    return result(r.status, r.stdout, r.stderr);
  }

  /** run() without blocking the event loop: for scripts that talk to servers in this process. */
  runAsync(script: string, args: readonly string[] = ['fixture-run']): Promise<RootRunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('unshare', this.command(script, args), { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve(result(status, stdout, stderr));
      });
    });
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, MNT: join(this.dir.path, 'mnt'), UPPER: this.upper, SCRIPT: join(this.dir.path, 'script.sh'), HOSTNAME_FILE: this.hostnameFile };
  }

  /** unshare's arguments: the overlay set up, the script run in it, the upper layer kept. */
  private command(script: string, args: readonly string[]): string[] {
    mkdirSync(join(this.dir.path, 'mnt'), { recursive: true });
    writeFileSync(join(this.dir.path, 'script.sh'), script);
    // The upper layer lives on a tmpfs for the run (overlayfs refuses an upper dir inside its
    // lower one, here /) and is copied back after it.
    const inside = String.raw`set -eu
mount -t tmpfs fixture "$MNT"
mkdir "$MNT/upper" "$MNT/work" "$MNT/root"
cp -a "$UPPER/." "$MNT/upper/"
mount -t overlay -o "lowerdir=/,upperdir=$MNT/upper,workdir=$MNT/work" overlay "$MNT/root"
R=$MNT/root
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
mount --bind "$R/proc/sys/kernel/hostname" "$R/proc/sys/kernel/hostname"
mount -o remount,bind,rw "$R/proc/sys/kernel/hostname"
mount -t tmpfs -o mode=1777 tmp "$R/tmp"
mount -t tmpfs -o mode=755 run "$R/run"
# The UTS namespace is new each run: the root's hostname carries over like its files.
cat "$HOSTNAME_FILE" >/proc/sys/kernel/hostname
rc=0
chroot "$R" /bin/bash -s -- "$@" <"$SCRIPT" || rc=$?
umount -R "$R" || true
rm -rf "$UPPER"
mkdir "$UPPER"
cp -a "$MNT/upper/." "$UPPER/"
uname -n >"$HOSTNAME_FILE"
exit "$rc"`;
    return ['--mount', '--uts', '--propagation', 'private', '--', 'bash', '-c', inside, 'fixture', ...args];
  }

  remove(): void {
    this.dir.remove();
  }

  /**
   * Where `path` of the root lives in the upper layer. Its directories are resolved as this
   * machine has them: a directory created in the upper layer where / has a symlink (/lib ->
   * usr/lib on merged-/usr systems) would hide the symlink and everything behind it.
   */
  private hostPath(path: string): string {
    if (!path.startsWith('/')) throw new Error(`not an absolute path: ${path}`);
    const parts = path.split('/').filter(Boolean);
    let resolved = '/';
    parts.forEach((part, i) => {
      const next = join(resolved, part);
      resolved = i < parts.length - 1 && existsSync(next) ? realpathSync(next) : next;
    });
    return join(this.upper, resolved);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function result(status: number | null, stdout: string, stderr: string): RootRunResult {
  const steps: Record<string, string> = {};
  for (const m of stdout.matchAll(/^::k8sprep:: ([a-z0-9-]+) (begin|unchanged|changed|failed)$/gm)) steps[m[1] ?? ''] = m[2] ?? '';
  return { status, stdout, stderr, steps };
}
