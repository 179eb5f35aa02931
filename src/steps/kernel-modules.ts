/**
 * The kernel modules Kubernetes needs, loaded now and listed for boot in one file that k8sprep
 * owns whole: overlay and br_netfilter always, conntrack always (kube-proxy in every mode), the
 * ip_vs schedulers only with `proxyMode: ipvs`. The list is rendered per mode, so a mode that
 * no longer needs ip_vs rewrites the file without it (modules already loaded stay loaded
 * until reboot: unloading is not preparation).
 */
import { shqAll } from '../script/quote.js';
import type { Step, StepContext } from './types.js';

export const MODULES_CONF = '/etc/modules-load.d/k8s.conf';
export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh'];

function fixedModules(ctx: StepContext): string[] {
  return ['overlay', 'br_netfilter', ...(ctx.cluster.kubernetes.proxyMode === 'ipvs' ? IPVS_MODULES : [])];
}

/**
 * Condition: the running kernel's modules are installed. Arch's kernel package replaces the
 * old kernel's /lib/modules directory when it upgrades: until a reboot, nothing can be loaded.
 */
export const KERNEL_MODULES_PRESENT = '[ -d "/lib/modules/$(uname -r)" ]';
export const KERNEL_MODULES_MISSING =
  'kernel $(uname -r) is running but /lib/modules/$(uname -r) is gone (the kernel package was upgraded since boot): no kernel module can be loaded until the host reboots into the new kernel; reboot it, then run k8sprep again';

/**
 * The conntrack module was renamed in 4.19 (nf_conntrack_ipv4 merged into nf_conntrack);
 * the host's running kernel decides, so the script computes the list itself.
 */
function helpers(ctx: StepContext): string {
  return [
    'k8sprep_modules() {',
    '  local kernel major minor',
    '  kernel=$(uname -r)',
    '  major=${kernel%%.*}',
    '  minor=${kernel#*.}; minor=${minor%%.*}',
    `  printf '%s\\n' ${shqAll(fixedModules(ctx))}`,
    '  if [ "$major" -lt 4 ] || { [ "$major" -eq 4 ] && [ "$minor" -lt 19 ]; }; then',
    '    echo nf_conntrack_ipv4',
    '  else',
    '    echo nf_conntrack',
    '  fi',
    '}',
    '# Loaded now (lsmod) or built into the kernel.',
    'k8sprep_module_present() {',
    '  lsmod | awk \'NR > 1 {print $1}\' | grep -qx "$1" ||',
    '    grep -qs "/$1\\.ko" "/lib/modules/$(uname -r)/modules.builtin"',
    '}',
  ].join('\n');
}

export const kernelModulesStep: Step = {
  id: 'kernel-modules',
  title: 'Load the kernel modules Kubernetes needs, now and at boot',
  appliesTo: () => true,
  helpers,
  check: () =>
    [
      `k8sprep_modules | k8sprep_file_matches ${MODULES_CONF} 644 || return 1`,
      'local m',
      'for m in $(k8sprep_modules); do k8sprep_module_present "$m" || return 1; done',
    ].join('\n'),
  apply: () =>
    [
      `${KERNEL_MODULES_PRESENT} || k8sprep_die "${KERNEL_MODULES_MISSING}"`,
      `k8sprep_modules | k8sprep_write_file ${MODULES_CONF} 644`,
      'local m',
      'for m in $(k8sprep_modules); do modprobe "$m"; done',
    ].join('\n'),
};
