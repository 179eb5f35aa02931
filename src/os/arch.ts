import { shqAll } from '../script/quote.js';
import { archKubernetesInstall } from './arch-kubernetes.js';
import { ARCH_INSTALL_HELPER } from './arch-pacman.js';
import type { OsFamily } from './types.js';

export const arch: OsFamily = {
  id: 'arch',
  displayName: 'Arch Linux',
  osReleaseMatches: '( . /etc/os-release && [ "${ID:-}" = arch ] )',
  hasZram: true,
  hasSelinux: false,
  // Arch's own repositories carry everything, as shipped.
  baseRepositories: () => [],
  packageRepositories: () => [],
  repositoriesChanged: '',
  packageHelpers: ARCH_INSTALL_HELPER,
  packagesInstalled: (names) => `pacman -Q ${shqAll(names)} >/dev/null 2>&1`,
  // From the sync database as it is. Arch supports no partial upgrades: refreshing the
  // database alone (-Sy) and installing would be one. A full upgrade (-Syu) with every install
  // would be supported, but it upgrades the whole host behind the operator's back: a kernel
  // whose modules cannot load until a reboot, and a pacman-installed kubelet moved past the
  // cluster's version. The cost of not upgrading: a host whose database is older than its
  // mirror fails its first install (404), with a message asking the operator to run
  // pacman -Syu (and reboot when the kernel changed) and run k8sprep again.
  installPackages: (names, extraArgs = []) => `k8sprep_pacman_install ${shqAll([...extraArgs, ...names])}`,
  removePackages: 'pacman -R --noconfirm "${names[@]}"',
  packages: {
    chrony: ['chrony'],
    conntrack: ['conntrack-tools'],
    ipvsTools: ['ipset', 'ipvsadm'],
    containerd: ['containerd', 'runc'],
    crictl: ['crictl'],
  },
  kubernetesRepoArgs: [],
  // Arch enables systemd-timesyncd by default; it and chronyd must not both discipline the clock.
  conflictingTimeServices: ['systemd-timesyncd'],
  kubernetes: archKubernetesInstall,
};
