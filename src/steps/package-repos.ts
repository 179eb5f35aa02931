/**
 * The repositories containerd and Kubernetes come from, when the distribution's own do not
 * carry them (which: the OS family). CentOS 7: docker-ce el7 (containerd.io) and the
 * community Kubernetes repository for the cluster's minor (kubernetes-new/core/stable/v<minor>/rpm
 * on aliyun, pkgs.k8s.io upstream), its packages excluded from casual updates. Arch: none.
 */
import { osFamily } from '../os/index.js';
import { fileMatches, writeFile } from '../script/files.js';
import type { Step, StepContext } from './types.js';

function files(ctx: StepContext) {
  return osFamily(ctx.os).packageRepositories(ctx.cluster);
}

export const packageReposStep: Step = {
  id: 'package-repos',
  title: 'Add the containerd and Kubernetes package repositories',
  appliesTo: (ctx) => files(ctx).length > 0,
  check: (ctx) =>
    files(ctx)
      .map((f) => fileMatches(f, '|| return 1'))
      .join('\n'),
  apply: (ctx) => [...files(ctx).map(writeFile), osFamily(ctx.os).repositoriesChanged].filter(Boolean).join('\n'),
};
