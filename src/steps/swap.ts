import type { Step, StepContext } from './types.js';
import { osFamily } from '../os/index.js';

/** An fstab line whose type field is swap and that is not commented out. */
const FSTAB_SWAP = String.raw`^[[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]`;
/** Arch's zram-generator reads this; a file with no [zramN] section creates no device. */
const ZRAM_CONF = '/etc/systemd/zram-generator.conf';

function usesZram(ctx: StepContext): boolean {
  return osFamily(ctx.os).hasZram;
}

/**
 * kubelet refuses to run with swap on (by default): off now, and after every reboot (fstab
 * lines commented; on Arch also zram-generator's config emptied and the zram and swap units
 * stopped and masked).
 */
export const swapStep: Step = {
  id: 'swap',
  title: 'Turn swap off, now and across reboots',
  appliesTo: () => true,
  check: (ctx) =>
    [
      '[ -z "$(swapon --show=NAME --noheadings 2>/dev/null)" ] &&',
      `! grep -Eq '${FSTAB_SWAP}' /etc/fstab${usesZram(ctx) ? ' &&' : ''}`,
      ...(usesZram(ctx)
        ? [
            `{ [ ! -e ${ZRAM_CONF} ] || ! grep -Eq '^[[:space:]]*\\[zram' ${ZRAM_CONF}; } &&`,
            '[ -z "$(systemctl list-units --type swap --state active --plain --no-legend 2>/dev/null)" ]',
          ]
        : []),
    ].join('\n'),
  apply: (ctx) =>
    [
      'swapoff -a',
      `if grep -Eq '${FSTAB_SWAP}' /etc/fstab; then`,
      '  k8sprep_backup /etc/fstab',
      `  sed -Ei 's/(${FSTAB_SWAP})/# disabled by k8sprep: \\1/' /etc/fstab`,
      'fi',
      ...(usesZram(ctx)
        ? [
            `if [ -e ${ZRAM_CONF} ] && grep -Eq '^[[:space:]]*\\[zram' ${ZRAM_CONF}; then`,
            `  k8sprep_backup ${ZRAM_CONF}`,
            `  printf '%s\\n' '# zram swap disabled by k8sprep: the kubelet needs swap off' | k8sprep_write_file ${ZRAM_CONF} 644`,
            'fi',
            '# Masked too: a zram-generator config elsewhere (/usr/lib, .conf.d drop-ins) or a',
            '# swap unit from a generator must not bring swap back at the next boot.',
            'local unit',
            'for unit in $( {',
            "  systemctl list-units --all --plain --no-legend 'systemd-zram-setup@*'",
            '  systemctl list-units --type swap --all --plain --no-legend',
            "} 2>/dev/null | awk '{print $1}'); do",
            '  systemctl stop "$unit" && systemctl mask "$unit"',
            'done',
          ]
        : []),
    ].join('\n'),
};
