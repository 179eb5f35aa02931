/**
 * `certs check --remote` as a phase: `certs-read` on the selected control planes, in parallel
 * (read-only), then every host's files judged by the same `inspectNode` as the local check,
 * plus what only shows across hosts: a CA that differs between control planes (or from the
 * local state directory), and a renewal left unfinished on a host.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Host } from '../cluster/types.js';
import { textsOf } from '../pki/host-files.js';
import { inspectNode, type NodeInspection, type PkiInspection } from '../pki/inspect.js';
import { KUBE_DIR, pkiPath } from '../pki/layout.js';
import { CA_SPECS } from '../pki/spec.js';
import type { Phase } from '../run/phase.js';
import type { RunResult } from '../run/runner.js';
import { readHostPki } from '../steps/certs/read-host.js';
import type { HostPkiFiles } from '../steps/certs/read-parse.js';

export interface RemoteCheck {
  inspection: PkiInspection;
  /** Hosts that could not be read, with why. */
  errors: { host: string; error: string }[];
}

export interface CheckRemoteAction {
  phases: Phase[];
  /** After the run: the inspection of what was read. */
  inspect(result: RunResult): Promise<RemoteCheck>;
}

export function certsCheckRemoteAction(cluster: Cluster, hosts: readonly Host[], opts: { now?: Date; localPkiDir?: string | undefined }): CheckRemoteAction {
  const read = new Map<string, HostPkiFiles>();
  const phase: Phase = {
    id: 'certs-read',
    title: 'read /etc/kubernetes',
    placement: { hosts: () => hosts, order: 'parallel' },
    run: async (session) => {
      read.set(session.host.name, await readHostPki(session));
    },
  };
  return {
    phases: [phase],
    inspect: async (result) => {
      const now = opts.now ?? new Date();
      const errors = result.hosts.filter((r) => r.status === 'failed').map((r) => ({ host: r.host, error: r.error ?? 'failed' }));
      const nodes: { node: NodeInspection; files: HostPkiFiles }[] = [];
      for (const host of hosts) {
        const files = read.get(host.name);
        if (!files) continue;
        const node = await inspectNode(textsOf(files.files), cluster, host, { now });
        node.root = `${host.address}:${KUBE_DIR}`;
        if (files.noKubeDir) node.problems.unshift(`${KUBE_DIR} does not exist on the host`);
        for (const p of files.pending) {
          node.problems.push(
            `certs renew run ${p.runId} was interrupted (${p.state}) and has not finished: run \`k8sprep certs renew --hosts ${host.name}\` to complete it`,
          );
        }
        nodes.push({ node, files });
      }
      caConsistency(nodes, await localCas(opts.localPkiDir), opts.localPkiDir);
      return { inspection: { checkedAt: now.toISOString(), source: 'remote', nodes: nodes.map((n) => n.node) }, errors };
    },
  };
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
