import { shqAll } from '../script/quote.js';
import { archKubernetesInstall } from './arch-kubernetes.js';
import type { OsFamily } from './types.js';

export const arch: OsFamily = {
  id: 'arch',
  displayName: 'Arch Linux',
  osReleaseMatches: '( . /etc/os-release && [ "${ID:-}" = arch ] )',
  hasZram: true,
  hasSelinux: false,
  needsVaultRepos: false,
  packagesInstalled: (names) => `pacman -Q ${shqAll(names)} >/dev/null 2>&1`,
  // Uses the sync database as it is: refreshing it alone (-Sy) would be a partial upgrade,
  // which Arch does not support; the operator keeps the system current (pacman -Syu).
  installPackages: (names, extraArgs = []) => ['pacman -S --needed --noconfirm', ...extraArgs, shqAll(names)].join(' '),
  packages: {
    chrony: ['chrony'],
    ipvsTools: ['ipset', 'ipvsadm', 'conntrack-tools'],
    containerd: ['containerd', 'runc'],
    crictl: ['crictl'],
  },
  kubernetesRepoArgs: [],
  // Arch enables systemd-timesyncd by default; it and chronyd must not both discipline the clock.
  conflictingTimeServices: ['systemd-timesyncd'],
  kubernetes: archKubernetesInstall,
};
