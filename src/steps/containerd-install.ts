import { osFamily } from '../os/index.js';
import type { Step } from './types.js';

/**
 * containerd and runc: CentOS 7 from docker-ce's el7 repo (containerd.io), Arch from extra,
 * installed from the sync database as it is: never refreshed alone (a partial upgrade) nor
 * upgraded whole behind the operator's back; a database older than its mirror fails here
 * with what to do (src/os/arch.ts has the reasons and the cost).
 */
export const containerdInstallStep: Step = {
  id: 'containerd-install',
  title: 'Install containerd and runc',
  appliesTo: () => true,
  helpers: (ctx) => osFamily(ctx.os).packageHelpers,
  check: (ctx) =>
    `${osFamily(ctx.os).packagesInstalled(osFamily(ctx.os).packages.containerd)} && command -v containerd >/dev/null && command -v runc >/dev/null`,
  apply: (ctx) => osFamily(ctx.os).installPackages(osFamily(ctx.os).packages.containerd),
};
