import { osFamily } from '../os/index.js';
import { shq } from '../script/quote.js';
import type { Step } from './types.js';

/** First step of every phase: refuse to touch a host that is not the OS we rendered for. */
export const osReleaseStep: Step = {
  id: 'os-release',
  title: 'Confirm the host runs the expected OS',
  guard: { why: 'it stops a script rendered for one OS from running on another' },
  appliesTo: () => true,
  check: (ctx) => `# shellcheck source=/dev/null\n${osFamily(ctx.os).osReleaseMatches}`,
  apply: (ctx) =>
    [
      'local found',
      '# shellcheck source=/dev/null',
      'found=$( . /etc/os-release && echo "${PRETTY_NAME:-unknown} (ID=${ID:-?} VERSION_ID=${VERSION_ID:-?})" ) || found="an OS without a readable /etc/os-release"',
      `k8sprep_die "this host runs $found, not" ${shq(osFamily(ctx.os).displayName)} "(os: ${ctx.os} in the cluster file); nothing was changed"`,
    ].join('\n'),
};
