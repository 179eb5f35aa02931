/**
 * The distribution's own repositories made usable before anything is installed (how and
 * which: the OS family). CentOS 7 is end of life: CentOS-Base.repo is pointed at the vault,
 * and every other enabled repository on a retired mirror is moved to the vault or disabled
 * (src/os/centos7-repos.ts); k8sprep_write_file keeps each original in the backup dir. Arch's
 * repositories work as shipped: no step there.
 */
import { osFamily } from '../os/index.js';
import { fileMatches, writeFile } from '../script/files.js';
import type { Step, StepContext } from './types.js';

function files(ctx: StepContext) {
  return osFamily(ctx.os).baseRepositories(ctx.cluster);
}

export const baseReposStep: Step = {
  id: 'base-repos',
  title: "Make the distribution's repositories usable (CentOS 7: the vault)",
  appliesTo: (ctx) => files(ctx).length > 0 || osFamily(ctx.os).repositoryRepair !== undefined,
  helpers: (ctx) => osFamily(ctx.os).repositoryRepair?.helpers(ctx.cluster) ?? '',
  check: (ctx) => {
    const repair = osFamily(ctx.os).repositoryRepair;
    return [...files(ctx).map((f) => fileMatches(f, '|| return 1')), repair ? repair.clean : 'true'].join('\n');
  },
  apply: (ctx) => {
    const family = osFamily(ctx.os);
    return [...files(ctx).map(writeFile), family.repositoryRepair?.repair(ctx.cluster) ?? '', family.repositoriesChanged].filter(Boolean).join('\n');
  },
};
