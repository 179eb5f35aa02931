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
import type { Cluster, Host } from '../cluster/types.js';
import { judgeLeaf, keyProblem } from './check.js';
import { kubeconfigRewriteReasons } from './decide.js';
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

function judgeCert(status: CertStatus, certText: string, keyText: string | undefined, keyPath: string, spec: CertSpec, ca: CaState, cluster: Cluster, now: Date): void {
  const judged = judgeLeaf(certText, keyText, spec, ca.cert ? { cert: ca.cert, name: ca.status.name } : undefined, {
    keyBits: cluster.certificates.keyBits,
    missingKey: `missing ${keyPath}`,
  });
  // The expiry columns first, then the problems in the order the table has always shown them.
  if (judged.cert) certFields(status, judged.cert, now);
  status.problems.push(...judged.problems);
}

function paths(root: string, cluster: Cluster, host: Host, kubeconfigs: readonly KubeconfigSpec[]): string[] {
  const out = SHARED_FILES.map((f) => under(root, `pki/${f.path}`));
  for (const leaf of nodeLeafSpecs(cluster, host)) out.push(under(root, pkiPath(leaf.base, 'crt')), under(root, pkiPath(leaf.base, 'key')));
  for (const kc of kubeconfigs) out.push(under(root, kc.file));
  return out;
}

/** A node's /etc/kubernetes on the host also has the kubelet.conf kubeadm wrote; k8sprep's own trees never do. */
function hostKubeconfigs(cluster: Cluster, host: Host): KubeconfigSpec[] {
  return [...nodeKubeconfigSpecs(cluster, host), kubeletKubeconfigSpec(cluster, host)];
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

function inspectNodeFiles(files: Files, root: string, cluster: Cluster, host: Host, kubeconfigs: readonly KubeconfigSpec[], now: Date, shared?: Map<CaId, CaState>): NodeInspection {
  const cas = new Map<CaId, CaState>();
  for (const ca of CA_SPECS) {
    const state = inspectCaAt(files, under(root, pkiPath(ca.base, 'crt')), under(root, pkiPath(ca.base, 'key')), ca, now, true);
    const top = shared?.get(ca.id);
    if (top?.text !== undefined && state.text !== undefined && top.text !== state.text) {
      state.status.problems.push(`differs from the shared ${top.status.path}`);
    }
    cas.set(ca.id, state);
  }
  const certificates: CertStatus[] = [];
  for (const leaf of nodeLeafSpecs(cluster, host)) {
    const crtPath = under(root, pkiPath(leaf.base, 'crt'));
    const keyPath = under(root, pkiPath(leaf.base, 'key'));
    const status: CertStatus = { name: leaf.name, kind: 'leaf', path: crtPath, authority: leaf.ca, problems: [] };
    const text = files.get(crtPath)?.text;
    const ca = cas.get(leaf.ca);
    if (text === undefined) status.problems.push(`missing ${crtPath}`);
    else if (ca) judgeCert(status, text, files.get(keyPath)?.text, keyPath, leaf, ca, cluster, now);
    certificates.push(status);
  }
  const clusterCa = cas.get('ca');
  for (const kc of kubeconfigs) {
    const path = under(root, kc.file);
    const status: CertStatus = { name: kc.file, kind: 'kubeconfig', path, authority: 'ca', problems: [] };
    certificates.push(status);
    const text = files.get(path)?.text;
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
      judgeCert(status, have.certPem, have.keyPem, `${path} client-key-data`, kc.cert, clusterCa, cluster, now);
    }
    if (clusterCa?.text !== undefined) {
      status.problems.push(...kubeconfigRewriteReasons(have, kc, clusterCa.text));
    }
  }
  certificates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    host: host.name,
    root,
    certificates,
    authorities: [...cas.values()].map((c) => c.status).sort((a, b) => (a.name < b.name ? -1 : 1)),
    problems: saProblems(files, under(root, 'pki/sa.key'), under(root, 'pki/sa.pub')),
  };
}

/** One control plane's /etc/kubernetes tree (`root` is its prefix in the source; '' for a bare tree). */
export async function inspectNode(source: FileSource | FileReader, cluster: Cluster, host: Host, opts: InspectOptions & { root?: string } = {}): Promise<NodeInspection> {
  const reader = isReader(source) ? source : fileReader(source);
  const root = opts.root ?? '';
  const kubeconfigs = hostKubeconfigs(cluster, host);
  const files = await readMany(reader, paths(root, cluster, host, kubeconfigs));
  return inspectNodeFiles(files, root, cluster, host, kubeconfigs, opts.now ?? new Date());
}

function isReader(s: FileSource | FileReader): s is FileReader {
  return typeof s === 'object' && !(s instanceof Map) && 'read' in s;
}

/** The local layout (`certs generate`'s DIR), or a map of the same relative paths. */
export async function inspectPki(source: FileSource, cluster: Cluster, opts: InspectOptions = {}): Promise<PkiInspection> {
  const now = opts.now ?? new Date();
  const reader = fileReader(source);
  const hosts = cluster.controlPlanes.filter((h) => !opts.hosts || opts.hosts.includes(h.name));
  const sharedPaths = SHARED_FILES.map((f) => f.path);
  const nodePaths = hosts.flatMap((h) => paths(nodeRoot(h.name), cluster, h, nodeKubeconfigSpecs(cluster, h)));
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
  for (const host of hosts) result.nodes.push(inspectNodeFiles(files, nodeRoot(host.name), cluster, host, nodeKubeconfigSpecs(cluster, host), now, shared));
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
