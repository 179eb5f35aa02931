/** The Debian packages the test hosts need: a missing one fails loudly, naming the package. */
import { accessSync, constants } from 'node:fs';

const TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/sshd', 'openssh-server'],
  ['/usr/bin/ssh', 'openssh-client'],
  ['/usr/bin/ssh-keygen', 'openssh-client'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/bin/nsenter', 'util-linux'],
  ['/usr/bin/setpriv', 'util-linux'],
  ['/usr/bin/flock', 'util-linux'],
  ['/usr/bin/findmnt', 'util-linux'],
  ['/usr/sbin/ip', 'iproute2'],
  ['/usr/bin/sudo', 'sudo'],
  ['/usr/sbin/useradd', 'passwd'],
  ['/usr/sbin/chpasswd', 'passwd'],
  ['/usr/sbin/chroot', 'coreutils'],
  ['/usr/bin/hostname', 'hostname'],
  ['/usr/bin/awk', 'mawk'],
  ['/usr/bin/openssl', 'openssl'],
];

/** The real load balancers (haproxy and keepalived configs are checked and run with them). */
export const LB_TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/haproxy', 'haproxy'],
  ['/usr/sbin/keepalived', 'keepalived'],
];

/** What the Kubernetes stand-ins of a shared cluster run inside the hosts (kube/, README). */
export const CLUSTER_TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['/usr/bin/python3', 'python3'],
  ['/usr/lib/python3/dist-packages/yaml/__init__.py', 'python3-yaml'],
  ['/usr/bin/curl', 'curl'],
  ...LB_TOOLS,
];

/** Throws when the harness cannot run here (not root, or tools missing), naming the packages. */
export function requireTools(extra: ReadonlyArray<readonly [string, string]> = []): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the test hosts need root (namespaces, mounts, network links)');
  const missing = new Map<string, string[]>();
  for (const [path, pkg] of [...TOOLS, ...extra]) {
    try {
      accessSync(path, /\/s?bin\//.test(path) ? constants.X_OK : constants.R_OK);
    } catch {
      missing.set(pkg, [...(missing.get(pkg) ?? []), path]);
    }
  }
  for (const [pkg, paths] of missing) problems.push(`${paths.join(', ')} missing: apt-get install ${pkg}`);
  if (problems.length > 0) throw new Error(`test hosts cannot start:\n  ${problems.join('\n  ')}`);
}
