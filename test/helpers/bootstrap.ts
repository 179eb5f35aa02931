/**
 * The bootstrap's scripts without running anything: a cluster loaded through the real loader
 * with its state dir in a temp directory, its local state prepared (PKI, token) as `node init`
 * does, and every host's scripts rendered for the phases that reach it, as the dry run prints them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster, Host, OsId } from '../../src/cluster/types.js';
import { phasesOn } from '../../src/run/phase.js';
import { planHost } from '../../src/run/plan.js';
import { type PreparedState, prepareLocalState } from '../../src/state/local-state.js';

export interface Prepared {
  cluster: Cluster;
  prepared: PreparedState;
  dir: string;
  remove(): void;
}

/** `yaml`: a cluster file's text. The PKI is generated (seconds per control plane). */
export async function prepareCluster(yaml: string): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'k8sprep-bootstrap-'));
  const cluster = parseClusterText(yaml, 'cluster.yaml', join(dir, 'cluster.yaml'));
  const prepared = await prepareLocalState(cluster);
  return { cluster, prepared, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function prepareExample(path: string): Promise<Prepared> {
  return prepareCluster(readFileSync(path, 'utf8'));
}

export interface RenderedScript {
  host: Host;
  phase: string;
  /** With secret placeholders, as the renderer returns it. */
  text: string;
}

/** Every host's node init scripts, in run order per host, for the phases that reach it. */
export function renderBootstrap(p: Prepared, opts: { os?: OsId; waitSeconds?: number } = {}): RenderedScript[] {
  const phases = nodeInitPhases({ prepOnly: false });
  const ctx = { cluster: p.cluster, targets: p.cluster.hosts };
  return p.cluster.hosts.flatMap((host) =>
    planHost(
      p.cluster,
      host,
      opts.os ?? host.os ?? 'centos7',
      phasesOn(phases, ctx, host),
      {},
      { state: p.prepared.state, waitSeconds: opts.waitSeconds ?? 600, initHost: p.cluster.firstControlPlane.name },
    ).scripts.map((s) => ({
      host,
      phase: s.phase.id,
      text: s.text,
    })),
  );
}
