/**
 * `certs generate`: the whole kubeadm PKI for a cluster in a local directory, idempotent.
 *
 * Layout (issue 4): DIR/{ca,front-proxy-ca,etcd/ca}.{crt,key}, DIR/sa.{key,pub}, and per
 * control plane DIR/nodes/<host>/ = that node's /etc/kubernetes: pki/ (the shared files
 * plus its seven leaves) and its kubeconfigs.
 *
 * Existing CAs and sa keys are reused, never replaced (a CA certificate without its key,
 * or a key that does not match, is an error). Leaves and kubeconfig client certificates
 * are kept or re-issued by the rules in decide.ts. Every decision is made first, then
 * every key the run needs is started at once (they run in parallel on the thread pool),
 * and each certificate is signed and written as soon as its key and CA are ready.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Host } from '../cluster/types.js';
import { ensureDir, writeFileAtomic } from '../util/fs.js';
import { expiryOf, RENEW_WITHIN_FRACTION } from './check.js';
import { type JudgeContext, judgeKubeconfig, leafReasons } from './decide.js';
import { PkiError } from './errors.js';
import { caCertHash } from './hash.js';
import { type CaMaterial, createCa, issueCert, loadCa, type Validity } from './issue.js';
import { generateRsaKeyPair, type KeyPairPem, publicKeyMatches, publicKeyPemOf } from './keys.js';
import { renderKubeconfig } from './kubeconfig.js';
import { MODES, nodeRoot, pkiPath, SHARED_FILES } from './layout.js';
import { type ExistingFile, fileReader, readMany } from './source.js';
import { CA_SPECS, type CaId, nodeKubeconfigSpecs, nodeLeafSpecs } from './spec.js';

/** How far key generation got: `planned` once every key has started, then `made` per finished key. */
export type GenerateProgress = { kind: 'planned'; keys: number; bits: number } | { kind: 'made'; made: number; keys: number };

export interface GenerateOptions {
  /** Clock for validity and expiry decisions (tests). */
  now?: Date;
  onProgress?: (progress: GenerateProgress) => void;
  /** Re-issue leaves with less than this fraction of their lifetime left; default 0.1. */
  renewWithin?: number;
}

export type FileAction = 'created' | 'kept' | 'reissued' | 'updated' | 'removed';

export interface FileOutcome {
  /** Relative to DIR. */
  path: string;
  action: FileAction;
  /** Why it was re-issued or updated. */
  reason?: string;
}

export interface GenerateReport {
  dir: string;
  files: FileOutcome[];
  /** `sha256:<hex>` of DIR/ca.crt, for `kubeadm join --discovery-token-ca-cert-hash`. */
  caCertHash: string;
  /** Things worth telling the operator that are not file changes. */
  notes: string[];
}

/** One run's state: the directory, what exists, what to write, and the keys under way. */
class Run {
  readonly files: FileOutcome[] = [];
  readonly tasks: Promise<unknown>[] = [];
  readonly notes: string[] = [];
  keysPlanned = 0;
  private keysMade = 0;
  constructor(
    readonly dir: string,
    readonly existing: Map<string, ExistingFile | undefined>,
    readonly bits: number,
    private readonly onProgress?: (progress: GenerateProgress) => void,
  ) {}

  text(rel: string): string | undefined {
    return this.existing.get(rel)?.text;
  }

  key(): Promise<KeyPairPem> {
    this.keysPlanned++;
    return generateRsaKeyPair(this.bits).then((pair) => {
      this.onProgress?.({ kind: 'made', made: ++this.keysMade, keys: this.keysPlanned });
      return pair;
    });
  }

  /** Every write of the run goes through the one atomic writer (temp file + rename). */
  write(rel: string, data: string, mode: number): Promise<void> {
    return writeFileAtomic(join(this.dir, rel), data, { mode, dirMode: MODES.dir });
  }

  /** Records a decision; `produce` (if any) runs once its inputs are ready and writes the file. */
  record(path: string, action: FileAction, reason: string | undefined, mode: number, produce?: () => Promise<string>): void {
    const mode0 = this.existing.get(path)?.mode;
    if (action === 'kept' && mode0 !== undefined && mode0 !== mode) {
      // Kept content, wrong permissions (e.g. a key left 0644): fix them, say so.
      action = 'updated';
      reason = `mode ${mode0.toString(8).padStart(4, '0')} -> ${mode.toString(8).padStart(4, '0')}`;
      const text = this.text(path) ?? '';
      this.tasks.push(this.write(path, text, mode));
    } else if (produce) {
      this.tasks.push(produce().then((data) => this.write(path, data, mode)));
    }
    this.files.push(reason === undefined ? { path, action } : { path, action, reason });
  }
}

function pathsToRead(cluster: Cluster): string[] {
  const paths = SHARED_FILES.map((f) => f.path);
  for (const host of cluster.controlPlanes) {
    const root = nodeRoot(host.name);
    for (const f of SHARED_FILES) paths.push(`${root}/pki/${f.path}`);
    for (const leaf of nodeLeafSpecs(cluster, host)) paths.push(`${root}/${pkiPath(leaf.base, 'crt')}`, `${root}/${pkiPath(leaf.base, 'key')}`);
    for (const kc of nodeKubeconfigSpecs(cluster, host)) paths.push(`${root}/${kc.file}`);
  }
  return paths;
}

async function prepareDirs(cluster: Cluster, dir: string): Promise<void> {
  await ensureDir(dir, MODES.dir);
  const dirs = [join(dir, 'etcd'), join(dir, 'nodes')];
  for (const host of cluster.controlPlanes) {
    const root = join(dir, nodeRoot(host.name));
    dirs.push(root, join(root, 'pki'), join(root, 'pki', 'etcd'));
  }
  for (const d of dirs) await ensureDir(d, MODES.dir);
}

interface SharedState {
  cas: Map<CaId, Promise<CaMaterial>>;
  /** CAs that already existed, loaded synchronously so leaves can be judged before any await. */
  loadedCas: Map<CaId, CaMaterial>;
  /** Final text of each shared file (what node copies must equal). */
  texts: Map<string, Promise<string>>;
  /** CAs made in this run: their leaves cannot be kept. */
  newCas: Set<CaId>;
  /** Shared files (re)written in this run: node copies must follow. */
  changed: Set<string>;
}

/**
 * Loads the existing CAs and refuses a half-present CA or sa key pair, before any key
 * generation starts (a refusal must not leave work running behind it).
 */
function loadExistingShared(run: Run): Map<CaId, CaMaterial> {
  const loaded = new Map<CaId, CaMaterial>();
  for (const ca of CA_SPECS) {
    const crtPath = `${ca.base}.crt`;
    const keyPath = `${ca.base}.key`;
    const crt = run.text(crtPath);
    const key = run.text(keyPath);
    if (crt !== undefined && key !== undefined) {
      loaded.set(ca.id, loadCa(ca.id, crt, key, join(run.dir, crtPath)));
    } else if (crt !== undefined || key !== undefined) {
      const [have, lack] = crt !== undefined ? [crtPath, keyPath] : [keyPath, crtPath];
      throw new PkiError(`${join(run.dir, have)} exists without ${lack}: refusing to replace the CA (restore ${lack}, or remove both to start a new PKI)`);
    }
  }
  if (run.text('sa.key') === undefined && run.text('sa.pub') !== undefined) {
    throw new PkiError(`${join(run.dir, 'sa.pub')} exists without sa.key: refusing to replace the service-account key (restore sa.key, or remove sa.pub)`);
  }
  return loaded;
}

/** Promises some of which nobody may await when a run fails early: mark them handled. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** CAs are never replaced automatically, so say when one is running out (or will before its leaves). */
function noteCaExpiry(run: Run, path: string, ca: CaMaterial, now: Date, leafHours: number): void {
  const e = expiryOf(ca.cert, now);
  const until = ca.cert.notAfter.toISOString();
  if (e.expired) run.notes.push(`${path} expired on ${until}: every certificate it signs is invalid; a new CA means a new PKI (and re-joining every node)`);
  else if (e.residualMs < leafHours * 3_600_000) run.notes.push(`${path} expires on ${until}, before certificates issued now (${leafHours}h) would`);
}

function planCas(run: Run, loadedCas: Map<CaId, CaMaterial>, validity: Validity, leafHours: number): SharedState {
  const state: SharedState = { cas: new Map(), loadedCas, texts: new Map(), newCas: new Set(), changed: new Set() };
  for (const ca of CA_SPECS) {
    const crtPath = `${ca.base}.crt`;
    const keyPath = `${ca.base}.key`;
    const existing = loadedCas.get(ca.id);
    if (existing) {
      noteCaExpiry(run, crtPath, existing, validity.now, leafHours);
      state.cas.set(ca.id, Promise.resolve(existing));
      state.texts.set(crtPath, Promise.resolve(run.text(crtPath) ?? ''));
      state.texts.set(keyPath, Promise.resolve(run.text(keyPath) ?? ''));
      run.record(crtPath, 'kept', undefined, MODES.cert);
      run.record(keyPath, 'kept', undefined, MODES.key);
      continue;
    }
    const material = quiet(run.key().then((k) => createCa(ca, k, validity)));
    state.cas.set(ca.id, material);
    state.newCas.add(ca.id);
    state.changed.add(crtPath).add(keyPath);
    state.texts.set(crtPath, quiet(material.then((m) => m.certPem)));
    state.texts.set(keyPath, quiet(material.then((m) => m.keyPem)));
    run.record(crtPath, 'created', undefined, MODES.cert, () => material.then((m) => m.certPem));
    run.record(keyPath, 'created', undefined, MODES.key, () => material.then((m) => m.keyPem));
  }
  return state;
}

function planSaKeys(run: Run, state: SharedState): void {
  const key = run.text('sa.key');
  const pub = run.text('sa.pub');
  if (key !== undefined) {
    state.texts.set('sa.key', Promise.resolve(key));
    run.record('sa.key', 'kept', undefined, MODES.key);
    if (pub !== undefined && publicKeyMatches(key, pub)) {
      state.texts.set('sa.pub', Promise.resolve(pub));
      run.record('sa.pub', 'kept', undefined, MODES.publicKey);
    } else {
      // sa.key is the source of truth; its public half can always be derived again.
      const derived = publicKeyPemOf(key);
      state.changed.add('sa.pub');
      state.texts.set('sa.pub', Promise.resolve(derived));
      run.record(
        'sa.pub',
        pub === undefined ? 'created' : 'updated',
        pub === undefined ? undefined : 'did not match sa.key',
        MODES.publicKey,
        async () => derived,
      );
    }
    return;
  }
  const pair = quiet(run.key());
  state.changed.add('sa.key').add('sa.pub');
  state.texts.set('sa.key', quiet(pair.then((p) => p.privateKey)));
  state.texts.set('sa.pub', quiet(pair.then((p) => p.publicKey)));
  run.record('sa.key', 'created', undefined, MODES.key, () => pair.then((p) => p.privateKey));
  run.record('sa.pub', 'created', undefined, MODES.publicKey, () => pair.then((p) => p.publicKey));
}

function reasonText(reasons: string[], caIsNew: boolean): { action: FileAction; reason?: string } {
  if (reasons.length === 1 && reasons[0] === 'missing') return { action: 'created' };
  if (caIsNew) return { action: 'reissued', reason: 'its CA was created in this run' };
  return { action: 'reissued', reason: reasons.join('; ') };
}

function planNode(run: Run, cluster: Cluster, host: Host, state: SharedState, ctx: JudgeContext, validity: Validity): void {
  const root = nodeRoot(host.name);
  for (const f of SHARED_FILES) {
    const path = `${root}/pki/${f.path}`;
    const shared = state.texts.get(f.path);
    if (!shared) continue;
    const have = run.text(path);
    if (have !== undefined && !state.changed.has(f.path) && have === run.text(f.path)) {
      run.record(path, 'kept', undefined, f.mode);
    } else {
      const action: FileAction = have === undefined ? 'created' : 'updated';
      run.record(path, action, have === undefined ? undefined : `differed from ${f.path}`, f.mode, () => shared);
    }
  }
  for (const leaf of nodeLeafSpecs(cluster, host)) {
    const crtPath = `${root}/${pkiPath(leaf.base, 'crt')}`;
    const keyPath = `${root}/${pkiPath(leaf.base, 'key')}`;
    const caP = state.cas.get(leaf.ca);
    if (!caP) throw new Error(`no CA ${leaf.ca}`);
    const caIsNew = state.newCas.has(leaf.ca);
    const crt = run.text(crtPath);
    const key = run.text(keyPath);
    // Existing CAs were loaded synchronously, so judging needs no await here.
    const reasons = caIsNew ? (crt === undefined && key === undefined ? ['missing'] : ['new CA']) : leafReasons(crt, key, leaf, loadedCa(state, leaf.ca), ctx);
    if (reasons.length === 0) {
      run.record(crtPath, 'kept', undefined, MODES.cert);
      run.record(keyPath, 'kept', undefined, MODES.key);
      continue;
    }
    const { action, reason } = reasonText(reasons, caIsNew);
    const pair = run.key();
    const certPem = Promise.all([pair, caP]).then(([k, ca]) => issueCert(leaf, k.publicKey, ca, validity));
    run.record(crtPath, action, reason, MODES.cert, () => certPem);
    run.record(keyPath, action, reason, MODES.key, () => pair.then((k) => k.privateKey));
  }
  for (const kc of nodeKubeconfigSpecs(cluster, host)) {
    const path = `${root}/${kc.file}`;
    const caP = state.cas.get('ca');
    const caText = state.texts.get('ca.crt');
    if (!caP || !caText) throw new Error('no CA ca');
    const have = run.text(path);
    const caIsNew = state.newCas.has('ca');
    const verdict = caIsNew
      ? ({ action: 'reissue', reasons: have === undefined ? ['missing'] : ['new CA'] } as const)
      : judgeKubeconfig(have, kc, loadedCa(state, 'ca'), run.text('ca.crt') ?? '', ctx);
    if (verdict.action === 'keep') {
      run.record(path, 'kept', undefined, MODES.kubeconfig);
    } else if (verdict.action === 'rewrite') {
      const { certPem, keyPem } = verdict;
      run.record(path, 'updated', `${verdict.reasons.join('; ')} (client certificate kept)`, MODES.kubeconfig, async () =>
        renderKubeconfig({ server: kc.server, caPem: await caText, user: kc.user, certPem, keyPem }),
      );
    } else {
      const { action, reason } = reasonText([...verdict.reasons], caIsNew);
      const pair = run.key();
      run.record(path, action, reason, MODES.kubeconfig, async () => {
        const [k, ca, caPem] = await Promise.all([pair, caP, caText]);
        return renderKubeconfig({ server: kc.server, caPem, user: kc.user, certPem: issueCert(kc.cert, k.publicKey, ca, validity), keyPem: k.privateKey });
      });
    }
  }
}

function loadedCa(state: SharedState, id: CaId): CaMaterial {
  const m = state.loadedCas.get(id);
  if (!m) throw new Error(`CA ${id} is not loaded`);
  return m;
}

/**
 * Node trees made by earlier k8sprep versions held a kubelet.conf; it is never placed on a host
 * (kubeadm join refuses a node that has one), so it goes.
 */
async function removeKubeletConfs(run: Run, cluster: Cluster): Promise<void> {
  for (const host of cluster.controlPlanes) {
    const rel = `${nodeRoot(host.name)}/kubelet.conf`;
    if (!(await stat(join(run.dir, rel)).catch(() => undefined))) continue;
    await rm(join(run.dir, rel), { force: true });
    run.files.push({ path: rel, action: 'removed', reason: 'kubelet.conf is never placed on a host: the kubelet makes its own' });
  }
}

async function strayNodes(cluster: Cluster, dir: string): Promise<string[]> {
  const want = new Set(cluster.controlPlanes.map((h) => h.name));
  const entries = await readdir(join(dir, 'nodes')).catch(() => [] as string[]);
  return entries.filter((e) => !want.has(e)).map((e) => `nodes/${e}: not a control plane of this cluster any more; left as it is`);
}

export async function generatePki(cluster: Cluster, dir: string, opts: GenerateOptions = {}): Promise<GenerateReport> {
  const now = opts.now ?? new Date();
  const bits = cluster.certificates.keyBits;
  const ctx: JudgeContext = { now, keyBits: bits, renewWithin: opts.renewWithin ?? RENEW_WITHIN_FRACTION };
  const existing = await readMany(fileReader(dir), pathsToRead(cluster));
  const run = new Run(dir, existing, bits, opts.onProgress);
  // Refusals come before anything is created or changed.
  const loadedCas = loadExistingShared(run);
  await prepareDirs(cluster, dir);

  // Decide everything synchronously so that every key generation starts before the first await.
  const leafValidity = { hours: cluster.certificates.certValidityHours, now };
  const state = planCas(run, loadedCas, { hours: cluster.certificates.caValidityHours, now }, leafValidity.hours);
  planSaKeys(run, state);
  for (const host of cluster.controlPlanes) planNode(run, cluster, host, state, ctx, leafValidity);
  opts.onProgress?.({ kind: 'planned', keys: run.keysPlanned, bits });

  const settled = await Promise.allSettled(run.tasks);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  await removeKubeletConfs(run, cluster);
  const caPem = await state.texts.get('ca.crt');
  return { dir, files: run.files, caCertHash: caCertHash(caPem ?? ''), notes: [...run.notes, ...(await strayNodes(cluster, dir))] };
}
