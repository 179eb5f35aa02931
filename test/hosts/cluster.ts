/**
 * The test side of the cluster a sharedCluster fleet's stand-ins share (kube/state.py): the run
 * directory's `cluster/`, bind-mounted at /var/lib/k8sprep-testcluster in every host. Reads and
 * changes go through kube/ctl.py, under the lock the stand-ins take, so a Node's readiness or a
 * token's liveness is computed by the same code that answers kubectl.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HARNESS_DIR } from './host.js';
import { run } from './proc.js';
import type { ClusterLogEntry, ClusterState, Latency, TestCluster } from './types.js';

/** The Python the stand-ins use (python3-yaml), not whatever python3 the test's PATH finds first. */
export const PYTHON = '/usr/bin/python3';

export class SharedCluster implements TestCluster {
  constructor(readonly dir: string) {}

  private async ctl(...args: string[]): Promise<string> {
    const r = await run(PYTHON, ['-B', '-m', 'kube.ctl', ...args], {
      env: { PATH: process.env.PATH, PYTHONPATH: HARNESS_DIR, TH_CLUSTER_DIR: this.dir, LANG: 'C.UTF-8' },
    });
    if (r.code !== 0) throw new Error(`test cluster: ${args[0]}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async state(): Promise<ClusterState> {
    return JSON.parse(await this.ctl('view')) as ClusterState;
  }

  log(): ClusterLogEntry[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir, 'log.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ClusterLogEntry);
  }

  async expireToken(token: string, at: Date = new Date(Date.now() - 1000)): Promise<void> {
    await this.ctl('expire-token', JSON.stringify({ token, at: at.getTime() / 1000 }));
  }

  async failJoin(host: string, how: 'halfway'): Promise<void> {
    await this.ctl('fail-join', JSON.stringify({ host, how }));
  }

  async neverReady(node: string): Promise<void> {
    await this.ctl('never-ready', JSON.stringify({ node }));
  }

  async keepEtcdMember(node: string): Promise<void> {
    await this.ctl('keep-etcd-member', JSON.stringify({ node }));
  }

  async clearFaults(): Promise<void> {
    await this.ctl('clear-faults', '{}');
  }

  async setLatency(latency: Latency): Promise<void> {
    for (const [op, s] of Object.entries(latency)) {
      if (typeof s !== 'number' || !(s >= 0)) throw new Error(`setLatency: ${op} must be seconds >= 0, not ${String(s)}`);
    }
    await this.ctl('latency', JSON.stringify(latency));
  }
}
