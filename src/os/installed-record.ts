/**
 * What host preparation records so `node reset --purge` can undo exactly its own part: the
 * packages a prep install added (the package database before and after; dependencies
 * included, nothing that was there already) and the firewalld rules it added (not those that
 * were open before). The files it wrote are undone from the backups (src/script/preamble.ts).
 */
export const PREP_RECORD_DIR = '/var/lib/k8sprep/prep';
/** Package names, one a line, appended by every recorded install. */
export const INSTALLED_PACKAGES = `${PREP_RECORD_DIR}/installed-packages`;
/** firewalld items prep added to the permanent configuration: `<zone> <port|source|rich-rule> <item>` a line. */
export const FIREWALLD_ADDED = `${PREP_RECORD_DIR}/firewalld-added`;

/**
 * `k8sprep_package_names` (the installed package names, one a line, sorted) and
 * `k8sprep_recorded_install COMMAND...`: runs an install command; the names it added are
 * appended to INSTALLED_PACKAGES. `listNames` prints the installed names. Every install
 * fragment renders it; the first one in a script defines it.
 */
export function recordedInstallHelper(listNames: string): string {
  return String.raw`if ! declare -F k8sprep_recorded_install >/dev/null; then
k8sprep_package_names() { ${listNames} 2>/dev/null | sort -u; }
k8sprep_recorded_install() {
  local before rc=0
  before=$(k8sprep_package_names) || before=''
  "$@" || rc=$?
  mkdir -p ${PREP_RECORD_DIR}
  comm -13 <(printf '%s\n' "$before") <(k8sprep_package_names) | sed '/^$/d' >>${INSTALLED_PACKAGES}
  return "$rc"
}
fi`;
}
