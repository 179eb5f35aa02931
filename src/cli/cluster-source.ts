/** Where the cluster comes from: `-c FILE` (default ./cluster.yaml) or the single-host flags. */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { loadClusterFile, validateClusterObject } from '../cluster/load.js';
import { formatPath } from '../cluster/locate.js';
import type { Cluster } from '../cluster/types.js';
import { InputError } from '../errors.js';

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
  const name = isIP(address) ? `node-${address.replace(/[.:]/g, '-')}`.replace(/-+/g, '-') : address.split('.')[0] ?? address;
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
    problems.map((p) => {
      const path = formatPath(p.path);
      const flag = Object.entries(FLAG_FOR_PATH).find(([prefix]) => path.startsWith(prefix))?.[1];
      return { path: flag ?? path, reason: p.reason };
    }),
  );
}

/** Fails when an identity file the run needs does not exist (not checked in dry runs). */
export function missingIdentityFiles(cluster: Cluster): { path: (string | number)[]; reason: string }[] {
  const problems: { path: (string | number)[]; reason: string }[] = [];
  cluster.hosts.forEach((h, i) => {
    const key = h.ssh.identityFile;
    if (key && !existsSync(key)) problems.push({ path: ['spec', 'hosts', i, 'ssh', 'identityFile'], reason: `${key}: no such file` });
  });
  return problems;
}
