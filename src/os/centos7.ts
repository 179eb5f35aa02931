import type { Cluster } from '../cluster/types.js';
import { shqAll } from '../script/quote.js';
import { centosBaseRepositories, centosPackageRepositories, centosRepositoryRepair } from './centos7-repos.js';
import { recordedInstallHelper } from './installed-record.js';
import type { OsFamily } from './types.js';

/** kubelet-1.30.6 kubeadm-1.30.6 kubectl-1.30.6: yum and rpm both take name-version. */
function pinned(cluster: Cluster): string[] {
  return ['kubelet', 'kubeadm', 'kubectl'].map((p) => `${p}-${cluster.kubernetes.version.full}`);
}

function rpmInstalled(names: readonly string[]): string {
  return `rpm -q ${shqAll(names)} >/dev/null 2>&1`;
}

/** yum skips unknown names and still exits 0 unless told otherwise; what it adds is recorded (node reset --purge). */
function yumInstall(names: readonly string[], extraArgs: readonly string[] = []): string {
  return ['k8sprep_recorded_install yum install -y -q --setopt=skip_missing_names_on_install=False', ...extraArgs, shqAll(names)].join(' ');
}

export const centos7: OsFamily = {
  id: 'centos7',
  displayName: 'CentOS 7',
  osReleaseMatches: '( . /etc/os-release && [ "${ID:-}" = centos ] && [ "${VERSION_ID:-}" = 7 ] )',
  hasZram: false,
  hasSelinux: true,
  baseRepositories: centosBaseRepositories,
  packageRepositories: centosPackageRepositories,
  repositoryRepair: centosRepositoryRepair,
  // yum would otherwise trust metadata cached from the old URLs.
  repositoriesChanged: 'yum -q clean expire-cache >/dev/null',
  packageHelpers: recordedInstallHelper("rpm -qa --qf '%{NAME}\\n'"),
  packagesInstalled: rpmInstalled,
  installPackages: yumInstall,
  removePackages: 'yum remove -y -q "${names[@]}"',
  packages: {
    chrony: ['chrony'],
    conntrack: ['conntrack-tools'],
    ipvsTools: ['ipset', 'ipvsadm'],
    containerd: ['containerd.io'],
    crictl: ['cri-tools'],
  },
  kubernetesRepoArgs: ['--disableexcludes=kubernetes'],
  conflictingTimeServices: ['ntpd'],
  kubernetes: {
    helpers: () => '',
    installed: (cluster) => rpmInstalled(pinned(cluster)),
    install: (cluster) => yumInstall(pinned(cluster), centos7.kubernetesRepoArgs),
  },
};
