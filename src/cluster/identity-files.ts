/**
 * The identity files a real run needs must exist (not checked in dry runs, which connect
 * to nothing). A missing one is located where it is written: a host inherits spec.ssh's.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { type FieldPath, formatPath } from './locate.js';
import type { Cluster, Host } from './types.js';
import type { FieldProblem } from './validate.js';

/** One problem per missing file, at the host's effective setting (`path[2]` is the host's index). */
function missingIdentityFiles(hosts: readonly Host[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const h of hosts) {
    const origins = h.sshOrigins ?? {};
    const check = (key: string | undefined, path: FieldPath, origin: FieldPath | undefined) => {
      if (!key || existsSync(key)) return;
      const inherited = origin && formatPath(origin) !== formatPath(path) ? ` (from ${formatPath(origin)})` : '';
      problems.push({ path, reason: `${key}: no such file${inherited}`, ...(origin ? { locateAt: origin } : {}) });
    };
    check(h.ssh.identityFile, ['spec', 'hosts', h.index, 'ssh', 'identityFile'], origins.identityFile);
    check(h.ssh.bastion?.identityFile, ['spec', 'hosts', h.index, 'ssh', 'bastion', 'identityFile'], origins.bastionIdentityFile);
  }
  return problems;
}

/** Input error (exit 2, before contacting anything) when an identity file `hosts` need is missing. */
export function requireIdentityFiles(cluster: Cluster, hosts: readonly Host[]): void {
  const missing = missingIdentityFiles(hosts);
  if (missing.length > 0) throw new InputError(cluster.source.locate(missing));
}
