/**
 * The prep phase's step ids in run order, written out as the tests expect them (not read from
 * src/actions/prep.ts, so a step dropped or moved there fails the tests that use these).
 */
export const CENTOS_PREP_STEPS = [
  'os-release',
  'hostname',
  'swap',
  'selinux',
  'firewall',
  'kernel-modules',
  'sysctl',
  'base-repos',
  'package-repos',
  'time-sync',
  'proxy-tools',
  'containerd-install',
  'containerd',
  'kubernetes-packages',
  'crictl',
  'images',
  'addon-images',
];

/** Arch has no SELinux and no repository files to write. */
export const ARCH_PREP_STEPS = CENTOS_PREP_STEPS.filter((s) => !['selinux', 'base-repos', 'package-repos'].includes(s));
