/**
 * `node reset --purge`: host preparation undone from what k8sprep recorded, and only that.
 * - Files: the oldest record of each path prep writes is how it was before k8sprep first
 *   touched it — a backup copy (restored, owner and mode kept) or a line in a run's
 *   .k8sprep-created (removed). Other paths in the backups (CNI, /etc/kubernetes) are reset's.
 * - SELinux back to enforcing when the restored config says so.
 * - The firewalld rules prep added (not those that were there before), then a reload.
 * - The packages prep installed, after the files: a package's own config file (containerd's)
 *   goes with the package.
 * Then the records and backups move to /var/lib/k8sprep/purged/<run>: the host is as it was
 * before k8sprep, and a later prep starts a new history. Kernel settings, loaded modules, swap
 * and the host name follow the restored files at the next boot.
 */
import { FIREWALLD_ADDED, INSTALLED_PACKAGES, PREP_RECORD_DIR } from '../../os/installed-record.js';
import { osFamily } from '../../os/index.js';
import { FIREWALLD_HELPERS } from '../firewall.js';
import type { Step } from '../types.js';

/** The paths host preparation writes (bash case patterns). */
const PREP_PATHS = [
  '/etc/sysctl.d/*',
  '/etc/modules-load.d/*',
  '/etc/fstab',
  '/etc/systemd/zram-generator.conf',
  '/etc/yum.repos.d/*',
  '/etc/selinux/config',
  '/etc/containerd/*',
  '/etc/crictl.yaml',
  '/etc/chrony.conf',
  '/etc/hosts',
  '/etc/hostname',
];
const PURGED_ROOT = '/var/lib/k8sprep/purged';

const HELPERS = String.raw`k8sprep_prep_path() {
  case $1 in ${PREP_PATHS.join(' | ')}) return 0 ;; esac
  return 1
}
# k8sprep_prep_oldest: "created<TAB>PATH" or "copy<TAB>PATH<TAB>BACKUP" for each path prep wrote,
# from the oldest run that recorded it (run ids start with their UTC time).
k8sprep_prep_oldest() {
  local dir p f
  local -A seen=()
  [ -d "$K8SPREP_BACKUP_ROOT" ] || return 0
  while IFS= read -r dir; do
    if [ -f "$dir/.k8sprep-created" ]; then
      while IFS= read -r p; do
        if k8sprep_prep_path "$p" && [ -z "${'$'}{seen[$p]:-}" ]; then seen[$p]=1; printf 'created\t%s\n' "$p"; fi
      done <"$dir/.k8sprep-created"
    fi
    while IFS= read -r -d '' f; do
      p=${'$'}{f#"$dir"}
      if k8sprep_prep_path "$p" && [ -z "${'$'}{seen[$p]:-}" ]; then seen[$p]=1; printf 'copy\t%s\t%s\n' "$p" "$f"; fi
    done < <(find "$dir" -mindepth 1 ! -type d ! -path "$dir/.k8sprep-created" -print0)
  done < <(find "$K8SPREP_BACKUP_ROOT" -mindepth 1 -maxdepth 1 -type d | sort)
}
k8sprep_selinux_restored() {
  ! { grep -Eq '^[[:space:]]*SELINUX=enforcing' /etc/selinux/config 2>/dev/null && [ "$(getenforce 2>/dev/null)" = Permissive ]; }
}`;

export const purgeStep: Step = {
  id: 'purge',
  title: 'Undo host preparation: files as before k8sprep, its firewalld rules and packages removed',
  appliesTo: () => true,
  helpers: (ctx) => [osFamily(ctx.os).packageHelpers, FIREWALLD_HELPERS, HELPERS],
  check: () =>
    [`[ ! -e ${INSTALLED_PACKAGES} ] && [ ! -e ${FIREWALLD_ADDED} ] &&`, '[ -z "$(k8sprep_prep_oldest)" ] &&', 'k8sprep_selinux_restored'].join('\n'),
  apply: (ctx) =>
    [
      'local kind p src zone what item names=() unit',
      "while IFS=$'\\t' read -r kind p src; do",
      '  if [ "$kind" = created ]; then rm -f -- "$p"; else rm -rf -- "$p"; mkdir -p "$(dirname "$p")"; cp -a -- "$src" "$p"; fi',
      'done < <(k8sprep_prep_oldest)',
      'if ! k8sprep_selinux_restored; then setenforce 1; fi',
      `if [ -s ${FIREWALLD_ADDED} ] && [ "$(k8sprep_firewalld_state)" != off ]; then`,
      '  while read -r zone what item; do',
      '    if [ "$zone" = - ]; then k8sprep_firewalld_permanent --remove-"$what"="$item" >/dev/null; else k8sprep_firewalld_permanent --zone="$zone" --remove-"$what"="$item" >/dev/null; fi',
      `  done <${FIREWALLD_ADDED}`,
      '  if [ "$(k8sprep_firewalld_state)" = running ]; then firewall-cmd --reload >/dev/null; fi',
      'fi',
      `if [ -s ${INSTALLED_PACKAGES} ]; then`,
      `  mapfile -t names < <(comm -12 <(sort -u ${INSTALLED_PACKAGES}) <(k8sprep_package_names))`,
      '  if [ "${#names[@]}" -gt 0 ]; then',
      '    for unit in kubelet containerd; do if systemctl is-active --quiet "$unit"; then systemctl stop "$unit"; fi; done',
      `    ${osFamily(ctx.os).removePackages} >&2`,
      '  fi',
      'fi',
      `mkdir -p ${PURGED_ROOT}/"$K8SPREP_RUN_ID"`,
      `if [ -d ${PREP_RECORD_DIR} ]; then mv ${PREP_RECORD_DIR} ${PURGED_ROOT}/"$K8SPREP_RUN_ID"/prep; fi`,
      `if [ -d "$K8SPREP_BACKUP_ROOT" ]; then mv "$K8SPREP_BACKUP_ROOT" ${PURGED_ROOT}/"$K8SPREP_RUN_ID"/backup; fi`,
      'k8sprep_note "purged: kernel settings, modules, swap and the host name follow the restored files at the next boot"',
    ].join('\n'),
};
