/**
 * kubeconfig files as kubeadm writes them (client-go's clientcmd serialization): one
 * cluster `kubernetes`, one user, one context `<user>@kubernetes`, CA and client
 * credentials embedded as base64 `*-data`.
 */
import { parse, stringify } from 'yaml';
import { KUBECONFIG_CLUSTER } from './spec.js';

export interface KubeconfigContent {
  server: string;
  caPem: string;
  user: string;
  /** Embedded client certificate and key; absent when the file points at files instead. */
  certPem?: string;
  keyPem?: string;
  /** `client-certificate:` path (e.g. the kubelet's rotated /var/lib/kubelet/pki/kubelet-client-current.pem). */
  certFile?: string;
  clusterName: string;
  contextName: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: unknown) => (typeof text === 'string' ? Buffer.from(text, 'base64').toString('utf8') : undefined);

/** Keys in clientcmd's (alphabetical) order, so files look like kubeadm's. */
export function renderKubeconfig(c: { server: string; caPem: string; user: string; certPem: string; keyPem: string }): string {
  const context = `${c.user}@${KUBECONFIG_CLUSTER}`;
  const doc = {
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(c.caPem), server: c.server }, name: KUBECONFIG_CLUSTER }],
    contexts: [{ context: { cluster: KUBECONFIG_CLUSTER, user: c.user }, name: context }],
    'current-context': context,
    kind: 'Config',
    preferences: {},
    users: [{ name: c.user, user: { 'client-certificate-data': b64(c.certPem), 'client-key-data': b64(c.keyPem) } }],
  };
  // indentSeq false: list items at their key's indentation, as Go's YAML (and so kubeadm) writes them.
  return stringify(doc, { lineWidth: 0, indentSeq: false });
}

type Named<T> = { name?: unknown } & T;

/** A name field as written; a missing or non-scalar one reads as empty. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function pick<T>(list: unknown, name: unknown): T | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = (list as Named<T>[]).find((e) => e && typeof e === 'object' && e.name === name);
  return found ?? (list.length === 1 ? (list[0] as T) : undefined);
}

/**
 * Reads what k8sprep needs from a kubeconfig: the current context's cluster and user.
 * Returns a reason string when the file is not a usable kubeconfig.
 */
export function parseKubeconfig(text: string): KubeconfigContent | string {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    return `not valid YAML: ${(err as Error).message.split('\n')[0]}`;
  }
  if (!doc || typeof doc !== 'object' || doc.kind !== 'Config') return 'not a kubeconfig (kind: Config missing)';
  const contextName = doc['current-context'];
  const context = pick<{ context?: { cluster?: unknown; user?: unknown } }>(doc.contexts, contextName)?.context;
  const cluster = pick<{ name?: unknown; cluster?: Record<string, unknown> }>(doc.clusters, context?.cluster);
  const user = pick<{ name?: unknown; user?: Record<string, unknown> }>(doc.users, context?.user);
  if (!cluster?.cluster || !user?.user) return 'has no current context with a cluster and a user';
  const caPem = unb64(cluster.cluster['certificate-authority-data']);
  const server = cluster.cluster.server;
  if (typeof server !== 'string') return 'the cluster has no server';
  if (caPem === undefined) return 'the cluster has no certificate-authority-data';
  const out: KubeconfigContent = {
    server,
    caPem,
    user: scalarText(user.name),
    clusterName: scalarText(cluster.name),
    contextName: scalarText(contextName),
  };
  const certPem = unb64(user.user['client-certificate-data']);
  const keyPem = unb64(user.user['client-key-data']);
  if (certPem !== undefined) out.certPem = certPem;
  if (keyPem !== undefined) out.keyPem = keyPem;
  if (typeof user.user['client-certificate'] === 'string') out.certFile = user.user['client-certificate'];
  return out;
}
