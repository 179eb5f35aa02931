/**
 * Real tools for the PKI tests (DESIGN §5): openssl, etcd, etcdctl. A missing tool fails
 * the test with the Debian package to install; it never skips.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';

const PACKAGES: Record<string, string> = { openssl: 'openssl', etcd: 'etcd-server', etcdctl: 'etcd-client', sha256sum: 'coreutils' };

/** Absolute path of `tool`, or an Error naming the package that provides it. */
export function requireTool(tool: string): string {
  try {
    return execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${tool} is not installed: install the Debian package ${PACKAGES[tool] ?? tool} (apt-get install ${PACKAGES[tool] ?? tool})`);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an ExecFileException is an Error; @types/node types it as an Omit<> intersection
      if (err && typeof err.code === 'string') return reject(err);
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** openssl that must succeed; returns stdout. */
export async function openssl(args: readonly string[], input?: string): Promise<string> {
  const r = await run('openssl', args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** What `openssl x509 -text` says about a certificate, split into the fields the tests compare. */
export interface OpensslCert {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** Extension name -> its text lines (the first line holds `critical` when it is). */
  ext: Record<string, { critical: boolean; value: string }>;
  bits: number;
}

export async function describeCert(path: string): Promise<OpensslCert> {
  const out = await openssl(['x509', '-noout', '-nameopt', 'compat', '-subject', '-issuer', '-serial', '-startdate', '-enddate', '-text', '-in', path]);
  const line = (prefix: string) =>
    out
      .split('\n')
      .find((l) => l.startsWith(prefix))
      ?.slice(prefix.length)
      .trim() ?? '';
  const ext: OpensslCert['ext'] = {};
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+X509v3 ([A-Za-z ]+):( critical)?\s*$/.exec(lines[i] ?? '');
    if (m?.[1]) ext[m[1]] = { critical: m[2] !== undefined, value: (lines[i + 1] ?? '').trim() };
  }
  const bits = Number(/Public-Key: \((\d+) bit\)/.exec(out)?.[1] ?? 0);
  return {
    subject: line('subject='),
    issuer: line('issuer='),
    serial: line('serial='),
    notBefore: new Date(line('notBefore=')),
    notAfter: new Date(line('notAfter=')),
    ext,
    bits,
  };
}

/** `openssl verify -x509_strict [-purpose P] -CAfile ca cert` */
export async function verifyChain(caPath: string, certPath: string, purpose?: 'sslserver' | 'sslclient'): Promise<RunResult> {
  return run('openssl', ['verify', '-x509_strict', ...(purpose ? ['-purpose', purpose] : []), '-CAfile', caPath, certPath]);
}

/** The PKIX public key of a certificate and of a private key, as openssl prints them. */
export async function certPublicKey(certPath: string): Promise<string> {
  return openssl(['x509', '-pubkey', '-noout', '-in', certPath]);
}
export async function keyPublicKey(keyPath: string): Promise<string> {
  return openssl(['pkey', '-pubout', '-in', keyPath]);
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Every file and directory under `dir` with its permission bits, relative paths. */
export function modes(dir: string): Map<string, { mode: number; isDir: boolean }> {
  const out = new Map<string, { mode: number; isDir: boolean }>();
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.set(relative(dir, p), { mode: statSync(p).mode & 0o777, isDir: e.isDirectory() });
      if (e.isDirectory()) visit(p);
    }
  };
  visit(dir);
  return out;
}

/** Every file's bytes under `dir`, by relative path. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [rel, m] of modes(dir)) if (!m.isDir) out.set(rel, readFileSync(join(dir, rel), 'utf8'));
  return out;
}
