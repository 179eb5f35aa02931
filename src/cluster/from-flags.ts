/** Where the cluster comes from: `-c FILE` (default ./cluster.yaml) or the single-host flags. */
import { isIP } from 'node:net';
import { InputError } from '../errors.js';
import { loadClusterFile, validateClusterObject } from './load.js';
import { formatPath } from './locate.js';
import type { Cluster } from './types.js';

export interface ClusterSourceFlags {
  config?: string | undefined;
  host?: string | undefined;
  os?: string | undefined;
  role?: string | undefined;
  version?: string | undefined;
  user?: string | undefined;
}

/** Which flag a field of the synthetic single-host cluster came from, for error messages. */
const FLAG_FOR_PATH: Record<string, string> = {
  'spec.hosts[0].address': '--host',
  'spec.hosts[0].os': '--os',
  'spec.hosts[0].roles': '--role',
  'spec.hosts[0].name': '--host',
  'spec.kubernetes.version': '--version',
  'spec.ssh.user': '--user',
};

export async function loadClusterFromFlags(flags: ClusterSourceFlags): Promise<Cluster> {
  if (flags.host === undefined) {
    for (const f of ['os', 'role', 'version', 'user'] as const) {
      if (flags[f] !== undefined) throw InputError.single(`--${f}`, 'only goes with --host (the cluster file sets it otherwise)');
    }
    return loadClusterFile(flags.config ?? 'cluster.yaml');
  }
  if (flags.config !== undefined) throw InputError.single('--host', 'cannot be combined with -c/--config');
  const missing = (['os', 'version'] as const).filter((f) => flags[f] === undefined);
  if (missing.length > 0) throw InputError.single('--host', `needs ${missing.map((f) => `--${f}`).join(' and ')}`);
  const address = flags.host;
  // An IPv4 address names the node node-a-b-c-d; a DNS name, its first label.
  const name = (isIP(address) === 4 ? `node-${address.replace(/\./g, '-')}` : (address.split('.')[0] ?? address)).toLowerCase();
  const raw = {
    apiVersion: 'k8sprep.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'single' },
    spec: {
      kubernetes: { version: flags.version },
      ssh: flags.user === undefined ? {} : { user: flags.user },
      hosts: [{ name, address, os: flags.os, roles: (flags.role ?? 'control-plane,worker').split(',').map((r) => r.trim()) }],
    },
  };
  return validateClusterObject(raw, (problems) =>
    problems
      // The node name is made from --host: when the address is bad, so is the name; say it once.
      .filter((p, _, all) => formatPath(p.path) !== 'spec.hosts[0].name' || !all.some((q) => formatPath(q.path) === 'spec.hosts[0].address'))
      .map((p) => {
        const path = formatPath(p.path);
        // `spec.hosts` itself: "needs at least one host with the control-plane role".
        const flag = path === 'spec.hosts' ? '--role' : Object.entries(FLAG_FOR_PATH).find(([prefix]) => path.startsWith(prefix))?.[1];
        return { path: flag ?? path, reason: p.reason };
      }),
  );
}
