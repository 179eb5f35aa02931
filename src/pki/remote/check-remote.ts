/**
 * `certs check --remote`: every selected control plane's /etc/kubernetes read over SSH
 * (read-only, several hosts at once), judged by the same `inspectNode` as the local check,
 * plus what only shows across hosts: a CA that differs between control planes (or from the
 * local state directory), and a renewal left unfinished on a host.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Host } from '../../cluster/types.js';
import type { Transport } from '../../transport/types.js';
import { mapConcurrent } from '../../util/concurrency.js';
import { inspectNode, type NodeInspection, type PkiInspection } from '../inspect.js';
import { pkiPath } from '../layout.js';
import { CA_SPECS } from '../spec.js';
import { readHostPki } from './read-host.js';
import { type HostPkiFiles, textsOf } from './read-parse.js';
import { KUBE_DIR } from './read-script.js';

export interface RemoteCheckOptions {
  transportFor(host: Host): Transport;
  concurrency: number;
  runId: string;
  now?: Date;
  /** The local PKI directory, compared with the hosts' CAs when it holds them. */
  localPkiDir?: string;
}

export interface RemoteCheck {
  inspection: PkiInspection;
  /** Hosts that could not be read, with why. */
  errors: { host: string; error: string }[];
}

type Read = { host: Host; files: HostPkiFiles } | { host: Host; error: string };

async function readOne(host: Host, opts: RemoteCheckOptions): Promise<Read> {
  const transport = opts.transportFor(host);
  try {
    await transport.connect();
    return { host, files: await readHostPki(transport, { runId: opts.runId }) };
  } catch (err) {
    return { host, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await transport.close().catch(() => undefined);
  }
}

async function localCas(dir: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!dir) return out;
  for (const ca of CA_SPECS) {
    const text = await readFile(join(dir, `${ca.base}.crt`), 'utf8').catch(() => undefined);
    if (text !== undefined) out.set(pkiPath(ca.base, 'crt'), text);
  }
  return out;
}

/** CA certificates must be the same on every control plane (and as the local copy). */
function caConsistency(nodes: { node: NodeInspection; files: HostPkiFiles }[], local: Map<string, string>, localDir?: string): void {
  for (const ca of CA_SPECS) {
    const path = pkiPath(ca.base, 'crt');
    const first = nodes.find((n) => n.files.files.has(path));
    for (const { node, files } of nodes) {
      const text = files.files.get(path)?.text;
      if (text === undefined) continue;
      if (first && first.node !== node && first.files.files.get(path)?.text !== text) node.problems.push(`${path} differs from ${first.node.host}'s`);
      const mine = local.get(path);
      if (mine !== undefined && mine !== text) node.problems.push(`${path} differs from the local ${join(localDir ?? '', `${ca.base}.crt`)}`);
    }
  }
}

export async function inspectRemote(cluster: Cluster, hosts: readonly Host[], opts: RemoteCheckOptions): Promise<RemoteCheck> {
  const now = opts.now ?? new Date();
  const reads = await mapConcurrent(hosts, opts.concurrency, (h) => readOne(h, opts));
  const errors: RemoteCheck['errors'] = [];
  const nodes: { node: NodeInspection; files: HostPkiFiles }[] = [];
  for (const r of reads) {
    if ('error' in r) {
      errors.push({ host: r.host.name, error: r.error });
      continue;
    }
    const node = await inspectNode(textsOf(r.files.files), cluster, r.host, { now });
    node.root = `${r.host.address}:${KUBE_DIR}`;
    if (r.files.noKubeDir) node.problems.unshift(`${KUBE_DIR} does not exist on the host`);
    for (const p of r.files.pending) {
      node.problems.push(`certs renew run ${p.runId} was interrupted (${p.state}) and has not finished: run \`k8sprep certs renew --hosts ${r.host.name}\` to complete it`);
    }
    nodes.push({ node, files: r.files });
  }
  caConsistency(nodes, await localCas(opts.localPkiDir), opts.localPkiDir);
  return { inspection: { checkedAt: now.toISOString(), source: 'remote', nodes: nodes.map((n) => n.node) }, errors };
}
