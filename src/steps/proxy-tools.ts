/**
 * What kube-proxy runs on the host: the conntrack tool in every mode (kube-proxy flushes
 * conntrack entries with it, and kubeadm's preflight requires it below 1.32; on Arch's
 * release-binary path nothing else brings it), ipset and ipvsadm only in ipvs mode. A mode
 * changed away from ipvs leaves the two installed: removing packages is not preparation.
 */
import { osFamily } from '../os/index.js';
import type { Step, StepContext } from './types.js';

export function proxyPackages(ctx: StepContext): string[] {
  const { packages } = osFamily(ctx.os);
  return [...(ctx.cluster.kubernetes.proxyMode === 'ipvs' ? packages.ipvsTools : []), ...packages.conntrack];
}

export const proxyToolsStep: Step = {
  id: 'proxy-tools',
  title: "Install the tools kube-proxy's mode runs (conntrack; ipset and ipvsadm for ipvs)",
  appliesTo: () => true,
  helpers: (ctx) => osFamily(ctx.os).packageHelpers,
  check: (ctx) => osFamily(ctx.os).packagesInstalled(proxyPackages(ctx)),
  apply: (ctx) => osFamily(ctx.os).installPackages(proxyPackages(ctx)),
};
