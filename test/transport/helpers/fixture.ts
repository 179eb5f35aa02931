/** Shared bits for the transport tests: temp dirs, hosts, a client HOME, script capture. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host, SshSettings } from '../../../src/cluster/types.js';
import type { OutputHandlers, Transport } from '../../../src/transport/types.js';
import { keygen } from './sshd.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `k8sprep-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export function makeHost(name: string, address: string, ssh: Partial<SshSettings> = {}): Host {
  return {
    name,
    address,
    roles: ['worker'],
    ssh: { user: 'root', port: 22, ...ssh },
    isControlPlane: false,
    isWorker: true,
    index: 0,
  };
}

/** A client-side HOME with an empty ~/.ssh (0700): the real ~/.ssh is never read. */
export function clientHome(root: string, name = 'home'): string {
  const home = join(root, name);
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  return home;
}

/** Makes a key pair under `dir` and authorizes it in `authorizedKeys` (appended). */
export function authorizedKey(path: string, authorizedKeys: string[], type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): string {
  authorizedKeys.push(keygen(path, type, passphrase));
  return path;
}

export function writeAuthorizedKeys(path: string, keys: readonly string[]): void {
  writeFileSync(path, `${keys.join('\n')}\n`, { mode: 0o600 });
}

export interface Captured {
  stdout: string[];
  stderr: string[];
  /** Both streams in arrival order, stderr lines prefixed with `!`. */
  all: string[];
  handlers: OutputHandlers;
}

export function capture(): Captured {
  const c: Captured = { stdout: [], stderr: [], all: [], handlers: {} };
  c.handlers = {
    onStdoutLine: (l) => {
      c.stdout.push(l);
      c.all.push(l);
    },
    onStderrLine: (l) => {
      c.stderr.push(l);
      c.all.push(`!${l}`);
    },
  };
  return c;
}

/** Runs a script and returns its exit status and output lines. */
export async function runCaptured(t: Transport, script: string, args: readonly string[] = []): Promise<{ code: number } & Captured> {
  const c = capture();
  const code = await t.runScript(script, args, c.handlers);
  return { code, ...c };
}

/** Tracks transports a test opens so afterEach can close them even when the test failed. */
export class TransportPool {
  private readonly open: Transport[] = [];

  add<T extends Transport>(t: T): T {
    this.open.push(t);
    return t;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.open.splice(0).map((t) => t.close()));
  }
}
