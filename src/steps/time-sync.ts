/**
 * chronyd installed, enabled and running (certificates, etcd and the bootstrap tokens need
 * agreeing clocks), with competing time daemons stopped (`is-enabled` complains on stderr
 * about a unit that does not exist at all: silenced, it only means "no"). A chrony.conf
 * without any time source gets one pool line for the package mirror's region. After the
 * repositories: chrony is the first package installed.
 */
import { osFamily } from '../os/index.js';
import { shq } from '../script/quote.js';
import type { Step, StepContext } from './types.js';

const CHRONY_CONF = '/etc/chrony.conf';
const HAS_SOURCE = `grep -Eqs '^[[:space:]]*(server|pool|peer)[[:space:]]' ${CHRONY_CONF}`;

export function ntpPool(ctx: StepContext): string {
  return ctx.cluster.mirrors.packages === 'aliyun' ? 'ntp.aliyun.com' : 'pool.ntp.org';
}

export const timeSyncStep: Step = {
  id: 'time-sync',
  title: 'Keep the clock in sync with chronyd',
  appliesTo: () => true,
  helpers: (ctx) => osFamily(ctx.os).packageHelpers,
  check: (ctx) => {
    const family = osFamily(ctx.os);
    return [
      `${family.packagesInstalled(family.packages.chrony)} &&`,
      `${HAS_SOURCE} &&`,
      ...family.conflictingTimeServices.map((s) => `! systemctl is-active --quiet ${shq(s)} && ! systemctl is-enabled --quiet ${shq(s)} 2>/dev/null &&`),
      'systemctl is-enabled --quiet chronyd &&',
      'systemctl is-active --quiet chronyd',
    ].join('\n');
  },
  apply: (ctx) => {
    const family = osFamily(ctx.os);
    return [
      'local restart=no',
      `${family.packagesInstalled(family.packages.chrony)} || ${family.installPackages(family.packages.chrony)}`,
      `if ! ${HAS_SOURCE}; then`,
      `  { cat ${CHRONY_CONF} 2>/dev/null || true; printf '%s\\n' '# Time source added by k8sprep: none was configured.' ${shq(`pool ${ntpPool(ctx)} iburst`)}; } | k8sprep_write_file ${CHRONY_CONF} 644`,
      '  restart=yes',
      'fi',
      ...family.conflictingTimeServices.map(
        (s) => `if systemctl is-active --quiet ${shq(s)} || systemctl is-enabled --quiet ${shq(s)} 2>/dev/null; then systemctl disable --now ${shq(s)}; fi`,
      ),
      'systemctl enable chronyd',
      'if ! systemctl is-active --quiet chronyd; then systemctl start chronyd; elif [ "$restart" = yes ]; then systemctl restart chronyd; fi',
    ].join('\n');
  },
};
