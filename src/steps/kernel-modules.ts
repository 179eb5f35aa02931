import { shqAll } from '../script/quote.js';
import type { Step } from './types.js';

export const MODULES_CONF = '/etc/modules-load.d/k8s.conf';
const BASE_MODULES = ['overlay', 'br_netfilter', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh'];

/**
 * The conntrack module was renamed in 4.19 (nf_conntrack_ipv4 merged into nf_conntrack);
 * the host's running kernel decides, so the script computes the list itself.
 */
const MODULE_HELPERS = [
  'k8sprep_modules() {',
  '  local kernel major minor',
  '  kernel=$(uname -r)',
  '  major=${kernel%%.*}',
  '  minor=${kernel#*.}; minor=${minor%%.*}',
  `  printf '%s\\n' ${shqAll(BASE_MODULES)}`,
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

export const kernelModulesStep: Step = {
  id: 'kernel-modules',
  title: 'Load the kernel modules Kubernetes needs, now and at boot',
  appliesTo: () => true,
  helpers: () => MODULE_HELPERS,
  check: () =>
    [
      `k8sprep_modules | k8sprep_file_matches ${MODULES_CONF} 644 || return 1`,
      'local m',
      'for m in $(k8sprep_modules); do k8sprep_module_present "$m" || return 1; done',
    ].join('\n'),
  apply: () =>
    [
      `k8sprep_modules | k8sprep_write_file ${MODULES_CONF} 644`,
      'local m',
      'for m in $(k8sprep_modules); do modprobe "$m"; done',
    ].join('\n'),
};
