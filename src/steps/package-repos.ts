/**
 * CentOS 7's extra repositories: docker-ce el7 (containerd.io) and the community Kubernetes
 * repository for the cluster's minor (kubernetes-new/core/stable/v<minor>/rpm on aliyun,
 * pkgs.k8s.io upstream). The Kubernetes repo excludes its packages from casual updates.
 * Arch installs from its own repositories: nothing to add there.
 */
import { CENTOS7_MIRRORS, DOCKER_CE_REPO_FILE, KUBERNETES_REPO_FILE, KUBERNETES_RPMS, kubernetesRepoBase } from '../os/centos7.js';
import { osFamily } from '../os/index.js';
import { fileMatches, writeFile } from '../script/files.js';
import { dockerCeRepo, kubernetesRepo } from '../templates/yum-repos.js';
import type { Step, StepContext } from './types.js';

export function packageRepoFiles(ctx: StepContext) {
  return [
    { path: DOCKER_CE_REPO_FILE, mode: '644', content: dockerCeRepo(CENTOS7_MIRRORS[ctx.cluster.mirrors.packages].dockerCe) },
    {
      path: KUBERNETES_REPO_FILE,
      mode: '644',
      content: kubernetesRepo(kubernetesRepoBase(ctx.cluster), ctx.cluster.kubernetes.version.minorString, KUBERNETES_RPMS),
    },
  ];
}

export const packageReposStep: Step = {
  id: 'package-repos',
  title: 'Add the containerd and Kubernetes package repositories',
  appliesTo: (ctx) => osFamily(ctx.os).needsVaultRepos,
  check: (ctx) => packageRepoFiles(ctx).map((f) => fileMatches(f, '|| return 1')).join('\n'),
  apply: (ctx) => [...packageRepoFiles(ctx).map(writeFile), 'yum -q clean expire-cache >/dev/null'].join('\n'),
};
