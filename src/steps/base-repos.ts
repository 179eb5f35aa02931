/**
 * CentOS 7 is end-of-life: mirrorlist.centos.org is gone, so the stock CentOS-Base.repo
 * fails every yum call. Point it at the vault (aliyun's centos-vault, or vault.centos.org)
 * before anything is installed; k8sprep_write_file keeps the original in the backup dir.
 */
import { CENTOS7_MIRRORS, CENTOS_BASE_REPO_FILE } from '../os/centos7.js';
import { osFamily } from '../os/index.js';
import { fileMatches, writeFile } from '../script/files.js';
import { centosVaultRepo } from '../templates/yum-repos.js';
import type { Step, StepContext } from './types.js';

function repoFile(ctx: StepContext) {
  return { path: CENTOS_BASE_REPO_FILE, mode: '644', content: centosVaultRepo(CENTOS7_MIRRORS[ctx.cluster.mirrors.packages].vault) };
}

export const baseReposStep: Step = {
  id: 'base-repos',
  title: "Point CentOS 7's base repositories at the vault",
  appliesTo: (ctx) => osFamily(ctx.os).needsVaultRepos,
  check: (ctx) => fileMatches(repoFile(ctx)),
  // expire-cache: yum would otherwise trust metadata cached from the old (dead) URLs.
  apply: (ctx) => [writeFile(repoFile(ctx)), 'yum -q clean expire-cache >/dev/null'].join('\n'),
};
