import { osFamily } from '../os/index.js';
import type { Step } from './types.js';

const ENFORCING = '^[[:space:]]*SELINUX=enforcing';

/**
 * SELinux permissive (CentOS): containers need to read host paths the kubelet mounts, which
 * the targeted policy denies without container-selinux labelling. Permissive now and after
 * reboot; `disabled` is left as it is.
 */
export const selinuxStep: Step = {
  id: 'selinux',
  title: 'Set SELinux to permissive, now and across reboots',
  appliesTo: (ctx) => osFamily(ctx.os).hasSelinux,
  check: () =>
    [
      '{ ! command -v getenforce >/dev/null 2>&1 || [ "$(getenforce)" != Enforcing ]; } &&',
      `{ [ ! -f /etc/selinux/config ] || ! grep -Eq '${ENFORCING}' /etc/selinux/config; }`,
    ].join('\n'),
  apply: () =>
    [
      'if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then setenforce 0; fi',
      `if [ -f /etc/selinux/config ] && grep -Eq '${ENFORCING}' /etc/selinux/config; then`,
      '  k8sprep_backup /etc/selinux/config',
      `  sed -Ei 's/${ENFORCING}/SELINUX=permissive/' /etc/selinux/config`,
      'fi',
    ].join('\n'),
};
