/**
 * The cluster's local state, `.k8sprep/<cluster>/` beside the cluster file (0700): the PKI
 * (`pki/`, certs generate's code), the bootstrap token (`token`, 0600), keepalived's VRRP
 * password (`keepalived-auth-pass`, 0600) and the checksums of manifests trusted on first use
 * (`trusted-checksums`). `node init` ensures it before any host is contacted — a dry run too —
 * so every script, join commands and their CA hash included, is known before anything runs.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Host } from '../cluster/types.js';
import { InputError } from '../errors.js';
import { generatePki, type GenerateReport } from '../pki/generate.js';
import { caCertHash } from '../pki/hash.js';
import { defaultPkiDir, nodeRoot, SHARED_FILES } from '../pki/layout.js';
import { nodeKubeconfigSpecs, nodeLeafSpecs } from '../pki/spec.js';
import { ensureDir, writeFileAtomic } from '../util/fs.js';

export const TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** What scripts are rendered from: read once, before anything runs. */
export interface LocalState {
  dir: string;
  pkiDir: string;
  /** `sha256:<hex>`: kubeadm join's --discovery-token-ca-cert-hash. */
  caCertHash: string;
  /** The bootstrap token's public id (its first six characters; the rest is the secret). */
  tokenId: string;
  /** Files to place on a control plane, relative to /etc/kubernetes: shared material and its own leaves and kubeconfigs. */
  controlPlaneFiles(host: Host): ReadonlyMap<string, string>;
  /** sha256 recorded at the first download of a URL (trust on first use). */
  trustedChecksums: ReadonlyMap<string, string>;
}

export interface PreparedState {
  state: LocalState;
  /** Secret values by placeholder name: the token, keepalived's password, private keys. */
  secrets: Map<string, string>;
  /** What was made now (for the operator). */
  created: string[];
  pki: GenerateReport;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number, alphabet = ALPHABET): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

export function newBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

/** Reads `path` (trimmed), or makes it with `make()` (0600) when absent; a bad value is refused. */
async function secretFile(path: string, make: () => string, valid: (v: string) => boolean, what: string): Promise<{ value: string; created: boolean }> {
  const existing = await readFile(path, 'utf8').then(
    (t) => t.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
  if (existing !== undefined) {
    if (!valid(existing)) throw new Error(`${path}: not a valid ${what}; remove it to have a new one made`);
    return { value: existing, created: false };
  }
  const value = make();
  await writeFileAtomic(path, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

/** Placeholder name of a file placed on a host: keys and kubeconfigs are secrets (shared ones by path, a node's own by host and path). */
export function placedSecretName(host: Host, rel: string, shared: boolean): string {
  const flat = rel.replace(/^pki\//, '').replace(/\//g, '-');
  return shared ? flat : `${host.name}.${flat}`;
}

/** Whether a placed file's content is a secret (private keys and kubeconfigs with their client keys). */
export function isSecretFile(rel: string): boolean {
  return rel.endsWith('.key') || rel.endsWith('.conf');
}

export async function prepareLocalState(cluster: Cluster): Promise<PreparedState> {
  const dir = cluster.stateDir;
  await ensureDir(dir, 0o700);
  const pkiDir = defaultPkiDir(cluster);
  const pki = await generatePki(cluster, pkiDir);
  const created = pki.files.filter((f) => f.action !== 'kept').map((f) => `pki/${f.path} (${f.action})`);
  const token = await secretFile(join(dir, 'token'), newBootstrapToken, (v) => TOKEN_PATTERN.test(v), 'bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})');
  if (token.created) created.push('token');
  const secrets = new Map<string, string>([['bootstrap-token', token.value]]);
  if (cluster.controlPlaneEndpoint?.loadBalancer === 'keepalived-haproxy') {
    // keepalived uses at most 8 characters of auth_pass.
    const pass = await secretFile(
      join(dir, 'keepalived-auth-pass'),
      () => randomString(8),
      (v) => /^[a-z0-9]{1,8}$/.test(v),
      'keepalived password (up to 8 letters and digits)',
    );
    if (pass.created) created.push('keepalived-auth-pass');
    secrets.set('keepalived-auth-pass', pass.value);
  }
  const files = new Map<string, Map<string, string>>();
  for (const host of cluster.controlPlanes) {
    const mine = new Map<string, string>();
    const read = async (rel: string, from: string) => mine.set(rel, await readFile(join(pkiDir, from), 'utf8'));
    for (const f of SHARED_FILES) await read(`pki/${f.path}`, f.path);
    for (const leaf of nodeLeafSpecs(cluster, host)) {
      for (const ext of ['crt', 'key']) await read(`pki/${leaf.base}.${ext}`, `${nodeRoot(host.name)}/pki/${leaf.base}.${ext}`);
    }
    for (const kc of nodeKubeconfigSpecs(cluster, host)) await read(kc.file, `${nodeRoot(host.name)}/${kc.file}`);
    for (const [rel, content] of mine) {
      // Without its last newline: the heredoc that carries the value adds it back.
      if (isSecretFile(rel))
        secrets.set(
          placedSecretName(
            host,
            rel,
            SHARED_FILES.some((f) => `pki/${f.path}` === rel),
          ),
          content.replace(/\n$/, ''),
        );
    }
    files.set(host.name, mine);
  }
  const state: LocalState = {
    dir,
    pkiDir,
    caCertHash: pki.caCertHash,
    tokenId: token.value.slice(0, 6),
    controlPlaneFiles: (host) => files.get(host.name) ?? new Map(),
    trustedChecksums: await readTrustedChecksums(dir),
  };
  return { state, secrets, created, pki };
}

async function readTrustedChecksums(dir: string): Promise<Map<string, string>> {
  const trusted = await readFile(join(dir, 'trusted-checksums'), 'utf8').catch(() => '');
  return new Map(
    trusted
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((p): p is [string, string] => p.length === 2 && /^[0-9a-f]{64}$/.test(p[0] ?? ''))
      .map(([sum, url]) => [url, sum]),
  );
}

/**
 * The local state a worker's join renders from (the CA's hash, the bootstrap token), read
 * without making or changing anything: for scripts that run later, elsewhere (node script), a
 * state made now would belong to no cluster. Missing or bad: an input error naming the file.
 * Control-plane files are not read (none is placed from here).
 */
export async function readWorkerJoinState(cluster: Cluster): Promise<{ state: LocalState; secrets: Map<string, string> }> {
  const dir = cluster.stateDir;
  const pkiDir = defaultPkiDir(cluster);
  const why = 'the scripts join the cluster node init made from this cluster file, with its CA and bootstrap token: run node init (or node join) first';
  const read = (path: string) =>
    readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw InputError.single(path, `${err.code === 'ENOENT' ? 'missing' : err.message}: ${why}`);
    });
  const caPath = join(pkiDir, 'ca.crt');
  let hash: string;
  try {
    hash = caCertHash(await read(caPath));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw InputError.single(caPath, `not a certificate (${(err as Error).message})`);
  }
  const tokenPath = join(dir, 'token');
  const token = (await read(tokenPath)).trim();
  if (!TOKEN_PATTERN.test(token))
    throw InputError.single(tokenPath, 'not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}); remove it and run node join to have a new one made');
  const state: LocalState = {
    dir,
    pkiDir,
    caCertHash: hash,
    tokenId: token.slice(0, 6),
    controlPlaneFiles: () => new Map(),
    trustedChecksums: await readTrustedChecksums(dir),
  };
  return { state, secrets: new Map([['bootstrap-token', token]]) };
}

/** Records a manifest's checksum at its first download (`trusted-checksums`: `<sha256> <url>` lines). */
export async function recordTrustedChecksum(dir: string, url: string, sha256: string): Promise<void> {
  const path = join(dir, 'trusted-checksums');
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text.split('\n').some((l) => l.trim().split(/\s+/)[1] === url)) return;
  await writeFileAtomic(path, `${text}${sha256} ${url}\n`, { mode: 0o600 });
}
