import type { Cluster } from '../cluster/types.js';
import { shqAll } from '../script/quote.js';
import type { OsFamily } from './types.js';

/** Where CentOS 7's packages come from, per `mirrors.packages`. */
export const CENTOS7_MIRRORS = {
  aliyun: {
    vault: 'https://mirrors.aliyun.com/centos-vault/7.9.2009',
    dockerCe: 'https://mirrors.aliyun.com/docker-ce/linux/centos',
    /** + `/v<minor>/rpm` */
    kubernetes: 'https://mirrors.aliyun.com/kubernetes-new/core/stable',
  },
  upstream: {
    vault: 'https://vault.centos.org/7.9.2009',
    dockerCe: 'https://download.docker.com/linux/centos',
    kubernetes: 'https://pkgs.k8s.io/core:/stable:',
  },
} as const;

export const KUBERNETES_REPO_FILE = '/etc/yum.repos.d/kubernetes.repo';
export const DOCKER_CE_REPO_FILE = '/etc/yum.repos.d/docker-ce.repo';
export const CENTOS_BASE_REPO_FILE = '/etc/yum.repos.d/CentOS-Base.repo';
/** Held back from `yum update` by the repo's `exclude=`. */
export const KUBERNETES_RPMS = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];

export function kubernetesRepoBase(cluster: Cluster): string {
  return `${CENTOS7_MIRRORS[cluster.mirrors.packages].kubernetes}/v${cluster.kubernetes.version.minorString}/rpm`;
}

/** kubelet-1.30.6 kubeadm-1.30.6 kubectl-1.30.6: yum and rpm both take name-version. */
function pinned(cluster: Cluster): string[] {
  return ['kubelet', 'kubeadm', 'kubectl'].map((p) => `${p}-${cluster.kubernetes.version.full}`);
}

function rpmInstalled(names: readonly string[]): string {
  return `rpm -q ${shqAll(names)} >/dev/null 2>&1`;
}

/** yum skips unknown names and still exits 0 unless told otherwise. */
function yumInstall(names: readonly string[], extraArgs: readonly string[] = []): string {
  return ['yum install -y -q --setopt=skip_missing_names_on_install=False', ...extraArgs, shqAll(names)].join(' ');
}

export const centos7: OsFamily = {
  id: 'centos7',
  displayName: 'CentOS 7',
  osReleaseMatches: '( . /etc/os-release && [ "${ID:-}" = centos ] && [ "${VERSION_ID:-}" = 7 ] )',
  hasZram: false,
  hasSelinux: true,
  needsVaultRepos: true,
  packagesInstalled: rpmInstalled,
  installPackages: yumInstall,
  packages: {
    chrony: ['chrony'],
    ipvsTools: ['ipset', 'ipvsadm', 'conntrack-tools'],
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
