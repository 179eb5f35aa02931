/**
 * Shell functions for pacman: the one install command (ARCH_INSTALL_HELPER), and what the Arch
 * Kubernetes install and its preflight share (ARCH_KUBERNETES_HELPERS): package versions in
 * pacman's sync and local databases, Kubernetes' name for the machine type, and pacman's
 * Kubernetes packages that would stand in the way of release binaries.
 */
import { recordedInstallHelper } from './installed-record.js';

export const TOOLS = ['kubeadm', 'kubelet', 'kubectl'];

/**
 * `k8sprep_pacman_install NAME...`: `pacman -S --needed` from the sync database as it is, recorded (why
 * not -Sy or -Syu: src/os/arch.ts). A database older than its mirror lists package files the
 * mirror no longer has: pacman fails with a 404 for each, and the operator is told what to do.
 * Every step that installs renders it; the first one in a script defines it.
 */
export const ARCH_INSTALL_HELPER = String.raw`${recordedInstallHelper('pacman -Qq')}
if ! declare -F k8sprep_pacman_install >/dev/null; then
k8sprep_pacman_install() {
  local log rc=0 file
  log=$(mktemp)
  k8sprep_recorded_install pacman -S --needed --noconfirm "$@" 2>"$log" || rc=$?
  cat "$log" >&2
  file=$(sed -n "s/^error: failed retrieving file '\([^']*\)'.*returned error: 404.*/\1/p" "$log" | head -n 1)
  rm -f "$log"
  if [ "$rc" -ne 0 ] && [ -n "$file" ]; then
    k8sprep_die "pacman's sync database is older than its mirror ($file is gone from it: 404). Arch supports no partial upgrades, so k8sprep installs from the database as it is and never refreshes it alone: upgrade the host (pacman -Syu, then reboot if it brought a new kernel) and run k8sprep again"
  fi
  return "$rc"
}
fi`;

export const ARCH_KUBERNETES_HELPERS = String.raw`# Version of package $1 in pacman's sync database / local database (no epoch, no pkgrel); empty when absent.
k8sprep_pacman_repo_version() {
  local v
  v=$(pacman -Si "$1" 2>/dev/null | awk '$1 == "Version" {print $3; exit}') || v=''
  v=${'$'}{v#*:}
  printf '%s\n' "${'$'}{v%-*}"
}
k8sprep_pacman_local_version() {
  local v
  v=$(pacman -Q "$1" 2>/dev/null | awk '{print $2}') || v=''
  v=${'$'}{v#*:}
  printf '%s\n' "${'$'}{v%-*}"
}
# Kubernetes' name for this machine type; fails when it publishes no binaries for it.
k8sprep_release_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) return 1 ;;
  esac
}
# Lines "NAME VERSION" for pacman-installed Kubernetes tools of a version other than $1.
k8sprep_pacman_kube_conflicts() {
  local p have
  for p in ${TOOLS.join(' ')}; do
    have=$(k8sprep_pacman_local_version "$p")
    if [ -n "$have" ] && [ "$have" != "$1" ]; then echo "$p $have"; fi
  done
}`;
