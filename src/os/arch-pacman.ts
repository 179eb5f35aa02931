/**
 * Shell functions the Arch Kubernetes install and its preflight share: package versions in
 * pacman's sync and local databases, Kubernetes' name for the machine type, and pacman's
 * Kubernetes packages that would stand in the way of release binaries.
 */
export const TOOLS = ['kubeadm', 'kubelet', 'kubectl'];

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
