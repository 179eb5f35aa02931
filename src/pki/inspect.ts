/**
 * `certs check`: every certificate's expiry, residual time and CA, and what is wrong with
 * it: not signed by its CA, key does not match, missing file, subject/SANs/usages that no
 * longer match the cluster (e.g. a changed endpoint), kubeconfig server or CA drift.
 *
 * Reads from a directory or from a map of path -> contents, so the remote check can feed
 * it files read over SSH. `inspectNode` looks at one /etc/kubernetes tree (paths like
 * `pki/ca.crt`, `admin.conf`); `inspectPki` at the local `certs generate` layout (shared
 * files at the top, one tree per control plane under `nodes/<host>/`).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Cluster, Host } from '../cluster/types.js';
import { judgeLeaf, keyProblem } from './check.js';
import { kubeconfigRewriteReasons, sameCertDer } from './decide.js';
import { publicKeyMatches } from './keys.js';
import { parseKubeconfig } from './kubeconfig.js';
import { nodeRoot, pkiPath, SHARED_FILES, under } from './layout.js';
import { formatSubject } from './names.js';
import { type ExistingFile, type FileReader, type FileSource, fileReader, readMany } from './source.js';
import { CA_SPECS, type CaId, type CaSpec, type CertSpec, type KubeconfigSpec, kubeletKubeconfigSpec, nodeKubeconfigSpecs, nodeLeafSpecs } from './spec.js';
import { type CertFacts, tryReadCert } from './x509.js';

export interface CertStatus {
  /** kubeadm's name: `apiserver`, `etcd-server`, `admin.conf`, `ca`, `etcd-ca`, ... */
  name: string;
  kind: 'ca' | 'leaf' | 'kubeconfig';
  /** Relative to the source. */
  path: string;
  /** Signing CA (leaves and kubeconfigs). */
  authority?: CaId;
  subject?: string;
  serial?: string;
  notBefore?: string;
  notAfter?: string;
  /** Seconds until NotAfter (negative when expired). */
  residualSeconds?: number;
  /** e.g. a kubelet.conf whose client certificate is a rotated file outside the tree. */
  note?: string;
  problems: string[];
}

export interface NodeInspection {
  host: string;
  /** Prefix of the node's tree in the source (`nodes/cp1`, or '' for a bare tree). */
  root: string;
  /** Leaves and kubeconfigs, sorted by name like `kubeadm certs check-expiration`. */
  certificates: CertStatus[];
  authorities: CertStatus[];
  /** Problems not tied to one certificate (service-account keys). */
  problems: string[];
}

export interface PkiInspection {
  checkedAt: string;
  /** The directory, or `files` for a map source. */
  source: string;
  /** The top-level CA material of the local layout; absent for node-only sources. */
  shared?: { authorities: CertStatus[]; problems: string[] };
  nodes: NodeInspection[];
  /** certs check --dir: which layout the directory holds. */
  layout?: PkiLayout;
  /**
   * certs check --dir: the cluster file the subjects, SANs and servers were compared with,
   * or null when there was none (expiry, chains and keys only).
   */
  comparedWith?: string | null;
  /** What was left out, and why. */
  notes?: string[];
}

export interface InspectOptions {
  now?: Date;
  /** Only these control planes (names). */
  hosts?: string[];
}

type Files = Map<string, ExistingFile | undefined>;

function certFields(s: CertStatus, cert: CertFacts, now: Date): void {
  s.subject = formatSubject(cert.subject);
  s.serial = cert.serialHex;
  s.notBefore = cert.notBefore.toISOString();
  s.notAfter = cert.notAfter.toISOString();
  s.residualSeconds = Math.floor((cert.notAfter.getTime() - now.getTime()) / 1000);
  if (s.residualSeconds <= 0) s.problems.push(`expired on ${s.notAfter}`);
}

interface CaState {
  status: CertStatus;
  cert?: CertFacts;
  text?: string;
}

function inspectCaAt(files: Files, crtPath: string, keyPath: string, ca: CaSpec, now: Date, keyRequired: boolean): CaState {
  const status: CertStatus = { name: ca.id, kind: 'ca', path: crtPath, problems: [] };
  const text = files.get(crtPath)?.text;
  if (text === undefined) {
    status.problems.push(`missing ${crtPath}`);
    return { status };
  }
  const cert = tryReadCert(text);
  if (typeof cert === 'string') {
    status.problems.push(cert);
    return { status, text };
  }
  certFields(status, cert, now);
  if (cert.isCa !== true) status.problems.push('not a CA certificate (BasicConstraints CA:TRUE missing)');
  const key = files.get(keyPath)?.text;
  if (key === undefined) {
    if (keyRequired) status.problems.push(`missing ${keyPath}`);
  } else {
    const bad = keyProblem(cert, key);
    if (bad) status.problems.push(`${keyPath}: ${bad}`);
  }
  return { status, cert, text };
}

/** What a certificate is compared with beyond expiry, chain and key: the cluster file's subject, SANs and key size. */
interface Expected {
  spec: CertSpec;
  keyBits: number;
}

function judgeCert(status: CertStatus, certText: string, keyText: string | undefined, keyPath: string, ca: CaState, now: Date, expected?: Expected): void {
  const judged = judgeLeaf(certText, keyText, expected?.spec, ca.cert ? { cert: ca.cert, name: ca.status.name } : undefined, {
    keyBits: expected?.keyBits ?? 0,
    missingKey: `missing ${keyPath}`,
  });
  // The expiry columns first, then the problems in the order the table has always shown them.
  if (judged.cert) certFields(status, judged.cert, now);
  status.problems.push(...judged.problems);
}

/**
 * What one /etc/kubernetes tree should hold. With the cluster file, each leaf and
 * kubeconfig carries its spec (subject, SANs, server) to compare; without one, only the
 * names kubeadm gives them, and what can be checked without a cluster: expiry, chain, key.
 */
interface TreeChecks {
  leaves: { name: string; base: string; ca: CaId; spec?: CertSpec }[];
  kubeconfigs: { file: string; spec?: KubeconfigSpec; optional?: boolean }[];
  keyBits?: number;
}

/**
 * `tree`: `k8sprep` for a node tree of the local PKI (never a kubelet.conf: it is never placed),
 * `host` for a node's /etc/kubernetes, which also holds the kubelet.conf kubeadm wrote.
 */
function clusterChecks(cluster: Cluster, host: Host, tree: 'k8sprep' | 'host'): TreeChecks {
  const kubeconfigs = [...nodeKubeconfigSpecs(cluster, host), ...(tree === 'host' ? [kubeletKubeconfigSpec(cluster, host)] : [])];
  return {
    leaves: nodeLeafSpecs(cluster, host).map((leaf) => ({ name: leaf.name, base: leaf.base, ca: leaf.ca, spec: leaf })),
    kubeconfigs: kubeconfigs.map((kc) => ({ file: kc.file, spec: kc })),
    keyBits: cluster.certificates.keyBits,
  };
}

/** kubeadm's control-plane leaves and kubeconfigs by name (the same names nodeLeafSpecs gives them). */
export const KUBEADM_TREE: TreeChecks = {
  leaves: [
    { name: 'apiserver', base: 'apiserver', ca: 'ca' },
    { name: 'apiserver-kubelet-client', base: 'apiserver-kubelet-client', ca: 'ca' },
    { name: 'front-proxy-client', base: 'front-proxy-client', ca: 'front-proxy-ca' },
    { name: 'etcd-server', base: 'etcd/server', ca: 'etcd-ca' },
    { name: 'etcd-peer', base: 'etcd/peer', ca: 'etcd-ca' },
    { name: 'etcd-healthcheck-client', base: 'etcd/healthcheck-client', ca: 'etcd-ca' },
    { name: 'apiserver-etcd-client', base: 'apiserver-etcd-client', ca: 'etcd-ca' },
  ],
  // super-admin.conf exists only on the first control plane, from 1.29.
  kubeconfigs: [
    { file: 'admin.conf' },
    { file: 'super-admin.conf', optional: true },
    { file: 'controller-manager.conf' },
    { file: 'scheduler.conf' },
    { file: 'kubelet.conf' },
  ],
};

function paths(root: string, checks: TreeChecks): string[] {
  const out = SHARED_FILES.map((f) => under(root, `pki/${f.path}`));
  for (const leaf of checks.leaves) out.push(under(root, pkiPath(leaf.base, 'crt')), under(root, pkiPath(leaf.base, 'key')));
  for (const kc of checks.kubeconfigs) out.push(under(root, kc.file));
  return out;
}

function saProblems(files: Files, keyPath: string, pubPath: string): string[] {
  const key = files.get(keyPath)?.text;
  const pub = files.get(pubPath)?.text;
  const problems: string[] = [];
  if (key === undefined) problems.push(`missing ${keyPath}`);
  if (pub === undefined) problems.push(`missing ${pubPath}`);
  if (key !== undefined && pub !== undefined && !publicKeyMatches(key, pub)) problems.push(`${pubPath} is not the public half of ${keyPath}`);
  return problems;
}

function inspectNodeFiles(files: Files, root: string, checks: TreeChecks, hostName: string, now: Date, shared?: Map<CaId, CaState>): NodeInspection {
  const cas = new Map<CaId, CaState>();
  for (const ca of CA_SPECS) {
    const state = inspectCaAt(files, under(root, pkiPath(ca.base, 'crt')), under(root, pkiPath(ca.base, 'key')), ca, now, true);
    const top = shared?.get(ca.id);
    if (top?.text !== undefined && state.text !== undefined && top.text !== state.text) {
      state.status.problems.push(`differs from the shared ${top.status.path}`);
    }
    cas.set(ca.id, state);
  }
  const expected = (spec: CertSpec | undefined): Expected | undefined => (spec && checks.keyBits !== undefined ? { spec, keyBits: checks.keyBits } : undefined);
  const certificates: CertStatus[] = [];
  for (const leaf of checks.leaves) {
    const crtPath = under(root, pkiPath(leaf.base, 'crt'));
    const keyPath = under(root, pkiPath(leaf.base, 'key'));
    const status: CertStatus = { name: leaf.name, kind: 'leaf', path: crtPath, authority: leaf.ca, problems: [] };
    const text = files.get(crtPath)?.text;
    const ca = cas.get(leaf.ca);
    if (text === undefined) status.problems.push(`missing ${crtPath}`);
    else if (ca) judgeCert(status, text, files.get(keyPath)?.text, keyPath, ca, now, expected(leaf.spec));
    certificates.push(status);
  }
  const clusterCa = cas.get('ca');
  for (const kc of checks.kubeconfigs) {
    const path = under(root, kc.file);
    const text = files.get(path)?.text;
    if (text === undefined && kc.optional) continue;
    const status: CertStatus = { name: kc.file, kind: 'kubeconfig', path, authority: 'ca', problems: [] };
    certificates.push(status);
    if (text === undefined) {
      status.problems.push(`missing ${path}`);
      continue;
    }
    const have = parseKubeconfig(text);
    if (typeof have === 'string') {
      status.problems.push(have);
      continue;
    }
    if (have.certPem === undefined) {
      status.note = have.certFile ? `client certificate in ${have.certFile} (rotated by the kubelet)` : 'no embedded client certificate';
      if (!have.certFile) status.problems.push('no client certificate');
    } else if (clusterCa) {
      judgeCert(status, have.certPem, have.keyPem, `${path} client-key-data`, clusterCa, now, expected(kc.spec?.cert));
    }
    if (clusterCa?.text !== undefined) {
      if (kc.spec) status.problems.push(...kubeconfigRewriteReasons(have, kc.spec, clusterCa.text));
      else if (!sameCertDer(have.caPem, clusterCa.text)) status.problems.push('embedded CA differs from ca.crt');
    }
  }
  certificates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    host: hostName,
    root,
    certificates,
    authorities: [...cas.values()].map((c) => c.status).sort((a, b) => (a.name < b.name ? -1 : 1)),
    problems: saProblems(files, under(root, 'pki/sa.key'), under(root, 'pki/sa.pub')),
  };
}

/** One control plane's /etc/kubernetes tree (`root` is its prefix in the source; '' for a bare tree). */
export async function inspectNode(
  source: FileSource | FileReader,
  cluster: Cluster,
  host: Host,
  opts: InspectOptions & { root?: string } = {},
): Promise<NodeInspection> {
  const reader = isReader(source) ? source : fileReader(source);
  const root = opts.root ?? '';
  const checks = clusterChecks(cluster, host, 'host');
  const files = await readMany(reader, paths(root, checks));
  return inspectNodeFiles(files, root, checks, host.name, opts.now ?? new Date());
}

function isReader(s: FileSource | FileReader): s is FileReader {
  return typeof s === 'object' && !(s instanceof Map) && 'read' in s;
}

interface Target {
  name: string;
  checks: TreeChecks;
}

/** The local layout: shared CA material at the top, one tree per control plane under nodes/<name>/. */
async function inspectLayout(source: FileSource, targets: readonly Target[], now: Date): Promise<PkiInspection> {
  const reader = fileReader(source);
  const sharedPaths = SHARED_FILES.map((f) => f.path);
  const nodePaths = targets.flatMap((t) => paths(nodeRoot(t.name), t.checks));
  const files = await readMany(reader, [...sharedPaths, ...nodePaths]);
  // A map holding only node trees (files read from hosts) has no shared section to check.
  const withShared = typeof source === 'string' || sharedPaths.some((p) => files.get(p) !== undefined);
  const result: PkiInspection = { checkedAt: now.toISOString(), source: typeof source === 'string' ? source : 'files', nodes: [] };
  let shared: Map<CaId, CaState> | undefined;
  if (withShared) {
    shared = new Map(CA_SPECS.map((ca) => [ca.id, inspectCaAt(files, `${ca.base}.crt`, `${ca.base}.key`, ca, now, true)]));
    result.shared = {
      authorities: [...shared.values()].map((c) => c.status).sort((a, b) => (a.name < b.name ? -1 : 1)),
      problems: saProblems(files, 'sa.key', 'sa.pub'),
    };
  }
  for (const t of targets) result.nodes.push(inspectNodeFiles(files, nodeRoot(t.name), t.checks, t.name, now, shared));
  return result;
}

/** The local layout (`certs generate`'s DIR), or a map of the same relative paths. */
export async function inspectPki(source: FileSource, cluster: Cluster, opts: InspectOptions = {}): Promise<PkiInspection> {
  const hosts = cluster.controlPlanes.filter((h) => !opts.hosts || opts.hosts.includes(h.name));
  return inspectLayout(
    source,
    hosts.map((h) => ({ name: h.name, checks: clusterChecks(cluster, h, 'k8sprep') })),
    opts.now ?? new Date(),
  );
}

/** `k8sprep`: certs generate's DIR (nodes/<host>/ trees); `kubeadm`: one /etc/kubernetes tree (pki/). */
export type PkiLayout = 'k8sprep' | 'kubeadm';

export function detectLayout(dir: string): PkiLayout | undefined {
  const isDir = (p: string) => statSync(join(dir, p), { throwIfNoEntry: false })?.isDirectory() === true;
  if (isDir('nodes')) return 'k8sprep';
  if (isDir('pki')) return 'kubeadm';
  return undefined;
}

/** The node a kubeadm tree belongs to: etcd/server.crt's CN (kubeadm makes it the node name), else kubelet.conf's user. */
function treeNodeName(files: Files): string | undefined {
  const etcd = files.get('pki/etcd/server.crt')?.text;
  const cert = etcd === undefined ? undefined : tryReadCert(etcd);
  if (cert !== undefined && typeof cert !== 'string' && cert.subject.cn) return cert.subject.cn;
  const kubelet = files.get('kubelet.conf')?.text;
  const kc = kubelet === undefined ? undefined : parseKubeconfig(kubelet);
  const user = kc !== undefined && typeof kc !== 'string' ? /^system:node:(.+)$/.exec(kc.user)?.[1] : undefined;
  return user;
}

/**
 * `certs check --dir DIR` on either layout. Expiry, chains, keys and the CAs need nothing
 * else; with `cluster` the subjects, SANs, key sizes and kubeconfig servers are compared
 * with it too (for a kubeadm tree, when its node is one of the cluster's control planes).
 */
export async function inspectDir(
  dir: string,
  layout: PkiLayout,
  cluster: Cluster | undefined,
  opts: InspectOptions & { clusterFile?: string } = {},
): Promise<PkiInspection> {
  const now = opts.now ?? new Date();
  let result: PkiInspection;
  let comparedWith: string | undefined;
  if (layout === 'k8sprep') {
    const names = readdirSync(join(dir, 'nodes'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const hostOf = (name: string) => cluster?.controlPlanes.find((h) => h.name === name);
    const targets = cluster
      ? cluster.controlPlanes.map((h) => ({ name: h.name, checks: clusterChecks(cluster, h, 'k8sprep') }))
      : names.map((name) => ({ name, checks: { ...KUBEADM_TREE, kubeconfigs: KUBEADM_TREE.kubeconfigs.filter((k) => k.file !== 'kubelet.conf') } }));
    result = await inspectLayout(
      dir,
      targets.filter((t) => !opts.hosts || opts.hosts.includes(t.name)),
      now,
    );
    if (cluster) comparedWith = `${cluster.controlPlanes.length} control plane(s)`;
    const strays = names.filter((n) => !hostOf(n));
    if (cluster && strays.length > 0) result.notes = [`nodes/ also holds ${strays.join(', ')}: not control planes in the cluster file, not checked`];
  } else {
    const reader = fileReader(dir);
    const generic = await readMany(reader, paths('', KUBEADM_TREE));
    const name = treeNodeName(generic);
    const host = name === undefined ? undefined : cluster?.controlPlanes.find((h) => h.name === name);
    const checks = cluster && host ? clusterChecks(cluster, host, 'host') : KUBEADM_TREE;
    const files = checks === KUBEADM_TREE ? generic : await readMany(reader, paths('', checks));
    result = { checkedAt: now.toISOString(), source: dir, nodes: [inspectNodeFiles(files, '', checks, name ?? basename(dir), now)] };
    if (host) comparedWith = `control plane ${host.name}`;
    else if (cluster) result.notes = [`node ${name ?? '?'} is not a control plane in the cluster file: subjects, SANs and servers not compared`];
  }
  result.layout = layout;
  result.comparedWith = cluster && comparedWith ? `${opts.clusterFile ?? 'the cluster file'} (${comparedWith})` : null;
  return result;
}

/** Every certificate in the inspection, with where it was found. */
export function allStatuses(insp: PkiInspection): { where: string; status: CertStatus }[] {
  const out: { where: string; status: CertStatus }[] = [];
  for (const s of insp.shared?.authorities ?? []) out.push({ where: 'shared', status: s });
  for (const n of insp.nodes) for (const s of [...n.certificates, ...n.authorities]) out.push({ where: n.host, status: s });
  return out;
}

/** Certificates (leaves, kubeconfigs and CAs) that expire within `seconds` (or already have). */
export function expiringWithin(insp: PkiInspection, seconds: number): { where: string; status: CertStatus }[] {
  return allStatuses(insp).filter((e) => e.status.residualSeconds !== undefined && e.status.residualSeconds < seconds);
}

/** Every problem, one line each: `<where>: <name>: <problem>`. */
export function problemLines(insp: PkiInspection): string[] {
  const lines = allStatuses(insp).flatMap((e) => e.status.problems.map((p) => `${e.where}: ${e.status.name}: ${p}`));
  for (const p of insp.shared?.problems ?? []) lines.push(`shared: ${p}`);
  for (const n of insp.nodes) for (const p of n.problems) lines.push(`${n.host}: ${p}`);
  return lines;
}
