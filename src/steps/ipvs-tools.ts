import { osFamily } from '../os/index.js';
import type { Step } from './types.js';

/** kube-proxy in ipvs mode drives ipset/ipvsadm and needs conntrack; other modes do not. */
export const ipvsToolsStep: Step = {
  id: 'ipvs-tools',
  title: 'Install ipset, ipvsadm and conntrack for kube-proxy in ipvs mode',
  appliesTo: (ctx) => ctx.cluster.kubernetes.proxyMode === 'ipvs',
  check: (ctx) => osFamily(ctx.os).packagesInstalled(osFamily(ctx.os).packages.ipvsTools),
  apply: (ctx) => osFamily(ctx.os).installPackages(osFamily(ctx.os).packages.ipvsTools),
};
