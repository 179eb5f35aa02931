/** Where the cluster comes from: `-c FILE` (default ./cluster.yaml) or the single-host flags. */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { loadClusterFile, locateProblems, validateClusterObject } from '../cluster/load.js';
import { formatPath } from '../cluster/locate.js';
import { sshOriginsOf } from '../cluster/derive.js';
import type { Cluster, Host } from '../cluster/types.js';
import type { FieldProblem } from '../cluster/validate.js';
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
  const name = (isIP(address) ? `node-${address.replace(/%.*$/, '').replace(/[.:]/g, '-')}` : address.split('.')[0] ?? address)
    .toLowerCase()
    .replace(/-+/g, '-')
    .replace(/-$/, '');
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

/**
 * Fails when an identity file the run needs (the host's or its bastion's) does not exist;
 * not checked in dry runs. `path` is the host's effective setting (`path[2]` is the host's
 * index); `locateAt` is where it is written (e.g. the `spec.ssh` default).
 */
export function missingIdentityFiles(cluster: Cluster): FieldProblem[] {
  const problems: FieldProblem[] = [];
  cluster.hosts.forEach((h, i) => {
    const origins = sshOriginsOf(h.ssh);
    const check = (key: string | undefined, path: (string | number)[], origin: (string | number)[] | undefined) => {
      if (!key || existsSync(key)) return;
      const inherited = origin && formatPath(origin) !== formatPath(path) ? ` (from ${formatPath(origin)})` : '';
      problems.push({ path, reason: `${key}: no such file${inherited}`, ...(origin ? { locateAt: origin } : {}) });
    };
    check(h.ssh.identityFile, ['spec', 'hosts', i, 'ssh', 'identityFile'], origins.identityFile);
    check(h.ssh.bastion?.identityFile, ['spec', 'hosts', i, 'ssh', 'bastion', 'identityFile'], origins.bastionIdentityFile);
  });
  return problems;
}

/** Input error (exit 2, before contacting anything) when an identity file `hosts` need is missing. */
export function requireIdentityFiles(cluster: Cluster, hosts: readonly Host[]): void {
  const missing = missingIdentityFiles(cluster).filter((p) => hosts.some((h) => h.index === p.path[2]));
  if (missing.length > 0) throw new InputError(locateProblems(cluster, missing));
}
