/**
 * Where things live. `certs generate` writes DIR/ (the shared CA material and sa keys at
 * kubeadm's paths relative to /etc/kubernetes/pki) and DIR/nodes/<host>/ (a complete
 * /etc/kubernetes tree per control plane). A node tree's paths are relative to
 * /etc/kubernetes, so the same names serve a directory here and files read over SSH.
 */
import { join } from 'node:path';
import type { Cluster } from '../cluster/types.js';
import { CA_SPECS } from './spec.js';

export const MODES = {
  dir: 0o700,
  cert: 0o644,
  key: 0o600,
  kubeconfig: 0o600,
  /** sa.pub: kubeadm writes it with its key writer (0600). */
  publicKey: 0o600,
} as const;

/** Default PKI directory: `.k8sprep/<cluster>/pki`. */
export function defaultPkiDir(cluster: Cluster): string {
  return join(cluster.stateDir, 'pki');
}

/** A node's /etc/kubernetes tree inside DIR. */
export function nodeRoot(host: string): string {
  return `nodes/${host}`;
}

/** Inside a node tree: `pki/<base>.crt`. */
export function pkiPath(base: string, ext: 'crt' | 'key' | 'pub'): string {
  return `pki/${base}.${ext}`;
}

export interface SharedFile {
  /** Relative to DIR (and to a node's pki/). */
  path: string;
  mode: number;
}

/** The shared material every control plane receives (kubeadm's "certificates to copy" for joins). */
export const SHARED_FILES: readonly SharedFile[] = [
  ...CA_SPECS.flatMap((ca) => [
    { path: `${ca.base}.crt`, mode: MODES.cert },
    { path: `${ca.base}.key`, mode: MODES.key },
  ]),
  { path: 'sa.key', mode: MODES.key },
  { path: 'sa.pub', mode: MODES.publicKey },
];

/** Joins a relative path onto a root that is either a directory or a map prefix. */
export function under(root: string, rel: string): string {
  return root === '' ? rel : `${root}/${rel}`;
}

/** Where kubeadm keeps a node's PKI and kubeconfigs on the host. */
export const KUBE_DIR = '/etc/kubernetes';
/** The kubelet's static pod manifests. */
export const MANIFEST_DIR = '/etc/kubernetes/manifests';
/** The static pods kubeadm runs on a control plane (etcd only with stacked etcd). */
export const STATIC_PODS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
/** Where `certs renew` keeps its per-run journal on the host. */
export const RENEW_STATE_DIR = '/var/lib/k8sprep/renew';
