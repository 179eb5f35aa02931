import type { Cluster, OsId } from '../cluster/types.js';

/** Shell fragments that install kubelet, kubeadm and kubectl of exactly the cluster's version. */
export interface KubernetesInstall {
  /** Shell functions the fragments below use (rendered once). */
  helpers(cluster: Cluster): string;
  /** Condition: the packages (or binaries) came from this install method at the cluster's version. */
  installed(cluster: Cluster): string;
  /** Installs them; fails the step with a message naming both versions when it cannot. */
  install(cluster: Cluster): string;
  /**
   * Read-only, for preflight (a function body, helpers above available): reports with
   * `k8sprep_problem` what would make `install` fail, so the host is refused before anything
   * on it changes; may print facts. Absent when nothing can be known in advance.
   */
  preflight?(cluster: Cluster): string;
}

/** What differs between distro families, as data and shell fragments. */
export interface OsFamily {
  id: OsId;
  displayName: string;
  /** Condition fragment: /etc/os-release describes this family (and a supported version). */
  osReleaseMatches: string;
  /** Whether swap may also come from zram devices and systemd swap units. */
  hasZram: boolean;
  /** SELinux is part of the base system and enforcing out of the box. */
  hasSelinux: boolean;
  /** The distro's own repositories cannot be used as installed (CentOS 7: end of life, moved to the vault). */
  needsVaultRepos: boolean;
  /** Condition fragment: every named package is installed (names may carry `-<version>` on rpm). */
  packagesInstalled(names: readonly string[]): string;
  /** Command fragment: installs the packages, failing when any of them cannot be installed; `extraArgs` are options, spliced as literal text. */
  installPackages(names: readonly string[], extraArgs?: readonly string[]): string;
  packages: {
    chrony: string[];
    /** ipset, ipvsadm and the conntrack tool kube-proxy's ipvs mode needs. */
    ipvsTools: string[];
    /** containerd and runc. */
    containerd: string[];
    /** The package with the crictl binary. */
    crictl: string[];
  };
  /** Extra install arguments for packages from the Kubernetes repository (held back from updates). */
  kubernetesRepoArgs: string[];
  /** Time daemons that fight chronyd over the clock; stopped and disabled when chronyd is enabled. */
  conflictingTimeServices: string[];
  kubernetes: KubernetesInstall;
}
