import type { Cluster, OsId } from '../cluster/types.js';
import type { FileSpec } from '../script/files.js';

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

/**
 * Repositories already on a host that can no longer answer (CentOS 7's retired mirrors), and
 * their repair. Shell fragments; `helpers` is rendered once before the others.
 */
export interface RepositoryRepair {
  helpers(cluster: Cluster): string;
  /** Condition: no enabled repository still points at a retired mirror. */
  clean: string;
  /** Repairs every such repository (backed up first) and says on stderr what it did to each. */
  repair(cluster: Cluster): string;
  /**
   * Read-only, for preflight (a function body): reports with `k8sprep_problem` the enabled
   * repositories that neither k8sprep writes nor `repair` fixes and that cannot be read, so
   * the first install does not fail on them after the host was changed.
   */
  preflight(cluster: Cluster): string;
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
  /**
   * Repository files that make the distro's own repositories usable, written before any
   * install (CentOS 7: the base repositories moved to the vault); empty when they work as shipped.
   */
  baseRepositories(cluster: Cluster): FileSpec[];
  /** Repository files for containerd and Kubernetes; empty when the distro's own repositories carry them. */
  packageRepositories(cluster: Cluster): FileSpec[];
  /** Absent when the family has no repositories of its own to repair. */
  repositoryRepair?: RepositoryRepair;
  /** Command fragment run after repository files changed: the package manager forgets cached metadata. */
  repositoriesChanged: string;
  /** Shell functions `installPackages` fragments call; rendered by every step that installs ('' when none). */
  packageHelpers: string;
  /** Condition fragment: every named package is installed (names may carry `-<version>` on rpm). */
  packagesInstalled(names: readonly string[]): string;
  /** Command fragment: installs the packages, failing when any of them cannot be installed; `extraArgs` are options, spliced as literal text. */
  installPackages(names: readonly string[], extraArgs?: readonly string[]): string;
  /** Command fragment: removes the packages of the bash array `names` (each one installed). */
  removePackages: string;
  packages: {
    chrony: string[];
    /** The conntrack tool: kubeadm's preflight (below 1.32) and kube-proxy in every mode. */
    conntrack: string[];
    /** ipset and ipvsadm, which kube-proxy drives in ipvs mode only. */
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
