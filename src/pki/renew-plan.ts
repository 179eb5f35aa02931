/**
 * What `certs renew` writes on one control plane, computed from the files read there:
 * every kubeadm leaf and every kubeconfig with an embedded client certificate, re-issued
 * with the same subject, SANs and EKU (certSpecFromCert), a new key of the cluster's size
 * and the requested lifetime, signed by the CA chooseCa picks. CAs, sa.key/sa.pub and
 * kubeconfigs whose certificate lives in a file (the kubelet's rotated one) are left alone,
 * and the plan says so. All keys are generated at once (in parallel on the thread pool).
 */
import type { Cluster, Host } from '../cluster/types.js';
import { chooseCa, type ChosenCa } from './ca-source.js';
import { PkiError } from './errors.js';
import type { HostFile } from './host-files.js';
import { reissueCert, type Validity } from './issue.js';
import { parseKubeconfig } from './kubeconfig.js';
import { replaceClientCredentials } from './kubeconfig-credentials.js';
import { KUBE_DIR, pkiPath, SHARED_FILES } from './layout.js';
import { CA_SPECS, type CaId, nodeLeafSpecs } from './spec.js';
import { readCert } from './x509.js';

/** Every kubeconfig kubeadm writes on a control plane (super-admin.conf only on the first, from 1.29). */
const KUBECONFIG_FILES = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'] as const;

export interface RenewFile {
  /** Absolute path on the host. */
  target: string;
  /** Relative to /etc/kubernetes. */
  rel: string;
  /** Its placeholder name in the script (`apiserver.key`, `etcd-server.crt`, `admin.conf`). */
  secret: string;
  content: string;
  notAfter: string;
}

export interface LeftFile {
  path: string;
  reason: string;
}

export interface HostRenewalPlan {
  files: RenewFile[];
  /** Every file the plan was computed from (targets and the signing CAs' certificates): must be unchanged at the swap. */
  expected: { target: string; sha256: string }[];
  left: LeftFile[];
  caSources: Partial<Record<CaId, ChosenCa['source']>>;
  notes: string[];
}

export interface PlanOptions {
  validity: Validity;
  keyBits: number;
  localPkiDir?: string | undefined;
}

const abs = (rel: string) => `${KUBE_DIR}/${rel}`;
const secretName = (rel: string) => rel.replace(/^pki\//, '').replace(/\//g, '-');

interface Pending {
  rel: string;
  /** Resolves to the new file content and its NotAfter. */
  produce: Promise<{ content: string; notAfter: string }>;
}

function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export async function planHostRenewal(cluster: Cluster, host: Host, files: ReadonlyMap<string, HostFile>, opts: PlanOptions): Promise<HostRenewalPlan> {
  const left: LeftFile[] = [];
  const leaves: { rel: string; keyRel: string; ca: CaId; pem: string }[] = [];
  for (const leaf of nodeLeafSpecs(cluster, host)) {
    const rel = pkiPath(leaf.base, 'crt');
    const keyRel = pkiPath(leaf.base, 'key');
    const crt = files.get(rel);
    if (!crt) left.push({ path: abs(rel), reason: 'not on the host' });
    else if (!files.has(keyRel)) left.push({ path: abs(rel), reason: `${abs(keyRel)} is missing; not renewed` });
    else leaves.push({ rel, keyRel, ca: leaf.ca, pem: crt.text });
  }
  const kubeconfigs: { rel: string; text: string; certPem: string }[] = [];
  for (const rel of KUBECONFIG_FILES) {
    const file = files.get(rel);
    if (!file) continue;
    const kc = parseKubeconfig(file.text);
    if (typeof kc === 'string') left.push({ path: abs(rel), reason: `${kc}; not renewed` });
    else if (kc.certPem !== undefined && kc.keyPem !== undefined) kubeconfigs.push({ rel, text: file.text, certPem: kc.certPem });
    else if (kc.certFile) left.push({ path: abs(rel), reason: `its client certificate is ${kc.certFile}, which the kubelet rotates itself; left as it is` });
    else left.push({ path: abs(rel), reason: 'no embedded client certificate and key; not renewed' });
  }
  for (const f of SHARED_FILES)
    if (files.has(`pki/${f.path}`)) left.push({ path: abs(`pki/${f.path}`), reason: 'CAs and service-account keys are never renewed' });

  const needed = new Set<CaId>([...leaves.map((l) => l.ca), ...(kubeconfigs.length > 0 ? (['ca'] as const) : [])]);
  const cas = new Map<CaId, ChosenCa>();
  for (const id of CA_SPECS.map((c) => c.id).filter((id) => needed.has(id))) cas.set(id, await chooseCa(id, host.name, files, opts.localPkiDir));
  const ca = (id: CaId) => {
    const c = cas.get(id);
    if (!c) throw new Error(`CA ${id} not chosen`);
    return c.material;
  };

  // Start every key generation before awaiting any (reissueCert starts its key at once).
  const reissue = (pem: string, id: CaId) => quiet(reissueCert(pem, ca(id), { bits: opts.keyBits, validity: opts.validity }));
  const pending: Pending[] = [];
  for (const l of leaves) {
    const issued = reissue(l.pem, l.ca);
    const notAfter = issued.then((i) => readCert(i.certPem).notAfter.toISOString());
    pending.push({ rel: l.rel, produce: Promise.all([issued, notAfter]).then(([i, n]) => ({ content: i.certPem, notAfter: n })) });
    pending.push({ rel: l.keyRel, produce: Promise.all([issued, notAfter]).then(([i, n]) => ({ content: i.keyPem, notAfter: n })) });
  }
  for (const k of kubeconfigs) {
    const issued = reissue(k.certPem, 'ca');
    pending.push({
      rel: k.rel,
      produce: issued.then((i) => ({ content: replaceClientCredentials(k.text, i.certPem, i.keyPem), notAfter: readCert(i.certPem).notAfter.toISOString() })),
    });
  }
  const settled = await Promise.allSettled(pending.map((p) => p.produce));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason instanceof PkiError ? new PkiError(`${host.name}: ${failed.reason.message}`) : failed.reason;

  const out: RenewFile[] = pending.map((p, i) => {
    const r = (settled[i] as PromiseFulfilledResult<{ content: string; notAfter: string }>).value;
    return { target: abs(p.rel), rel: p.rel, secret: secretName(p.rel), content: r.content, notAfter: r.notAfter };
  });
  const expectedRels = [...out.map((f) => f.rel), ...[...cas.keys()].map((id) => pkiPath(CA_SPECS.find((c) => c.id === id)?.base ?? id, 'crt'))];
  const expected = expectedRels.map((rel) => ({ target: abs(rel), sha256: files.get(rel)?.sha256 ?? '' }));
  return { files: out, expected, left, caSources: Object.fromEntries([...cas].map(([id, c]) => [id, c.source])), notes: caNotes(cas, opts.validity) };
}

/** CAs are never renewed here, so say when one ends before the certificates it just signed. */
function caNotes(cas: Map<CaId, ChosenCa>, validity: Validity): string[] {
  const until = validity.now.getTime() + validity.hours * 3_600_000;
  return [...cas]
    .filter(([, c]) => c.material.cert.notAfter.getTime() < until)
    .map(
      ([id, c]) =>
        `${id} expires on ${c.material.cert.notAfter.toISOString()}, before the certificates it signed now; they stop working with it (a new CA means a new PKI)`,
    );
}
