/**
 * kubelet/kubeadm/kubectl on Arch. Arch's `extra` tracks the newest Kubernetes release, so
 * the script decides at run time: pacman when the sync database has exactly the cluster's
 * version, otherwise the release binaries from a binary mirror (sha256 verified) with a
 * kubelet unit and kubeadm drop-in, otherwise a refusal naming both versions.
 */
import type { Cluster } from '../cluster/types.js';
import { fileMatches, writeFile } from '../script/files.js';
import { shq } from '../script/quote.js';
import { kubeadmDropIn, kubeletUnit } from '../templates/kubelet-unit.js';
import type { KubernetesInstall } from './types.js';

export const BINARY_DIR = '/usr/local/bin';
export const KUBELET_UNIT = '/etc/systemd/system/kubelet.service';
export const KUBEADM_DROP_IN = '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf';
const TOOLS = ['kubeadm', 'kubelet', 'kubectl'];

/**
 * Where release binaries come from: `<base>/v<version>/bin/linux/<arch>/<name>` and
 * `<name>.sha256`. The aliyun mirror has no copy of them, so with `mirrors.packages: aliyun`
 * there is none (the step then refuses, naming both versions).
 */
export function kubernetesBinaryMirror(cluster: Cluster): string | undefined {
  return cluster.mirrors.packages === 'upstream' ? 'https://dl.k8s.io/release' : undefined;
}

function units() {
  const kubelet = `${BINARY_DIR}/kubelet`;
  return [
    { path: KUBELET_UNIT, mode: '644', content: kubeletUnit(kubelet) },
    { path: KUBEADM_DROP_IN, mode: '644', content: kubeadmDropIn(kubelet) },
  ];
}

const HELPERS = String.raw`# Version of package $1 in pacman's sync database / local database (no epoch, no pkgrel); empty when absent.
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
}`;

function binaryInstall(cluster: Cluster, base: string): string {
  const v = cluster.kubernetes.version.full;
  return [
    'local p have arch url tmp sum',
    `for p in ${TOOLS.join(' ')}; do`,
    '  have=$(k8sprep_pacman_local_version "$p")',
    `  if [ -n "$have" ] && [ "$have" != ${v} ]; then`,
    `    k8sprep_die "pacman's $p $have is installed but the cluster needs ${v}, which Arch's repository does not have (it has \${repo:-no kubeadm}): remove it (pacman -R kubeadm kubelet kubectl) and run again to get the ${v} release binaries"`,
    '  fi',
    'done',
    '# What the kubelet and kubeadm preflight run; the pacman packages would have pulled them in.',
    'pacman -S --needed --noconfirm conntrack-tools socat ethtool',
    'command -v iptables >/dev/null 2>&1 || pacman -S --needed --noconfirm iptables',
    'case "$(uname -m)" in',
    '  x86_64) arch=amd64 ;;',
    '  aarch64) arch=arm64 ;;',
    '  *) k8sprep_die "no Kubernetes release binaries for machine type $(uname -m)" ;;',
    'esac',
    'tmp=$(mktemp -d)',
    `for p in ${TOOLS.join(' ')}; do`,
    `  url=${shq(base)}/v${v}/bin/linux/$arch/$p`,
    '  curl -fsSL --retry 5 --retry-delay 2 -o "$tmp/$p" "$url" || k8sprep_die "downloading $url failed"',
    '  sum=$(curl -fsSL --retry 5 --retry-delay 2 "$url.sha256") || k8sprep_die "downloading $url.sha256 failed"',
    '  printf \'%s  %s\\n\' "${sum%% *}" "$tmp/$p" | sha256sum -c --quiet - || k8sprep_die "$url does not match its published sha256 checksum"',
    `  install -m 755 "$tmp/$p" ${BINARY_DIR}/"$p"`,
    'done',
    'rm -rf "$tmp"',
    ...units().map(writeFile),
    'systemctl daemon-reload',
  ].join('\n');
}

export const archKubernetesInstall: KubernetesInstall = {
  helpers: () => HELPERS,
  installed: (cluster) => {
    const v = cluster.kubernetes.version.full;
    return [
      `{ ${TOOLS.map((t) => `[ "$(k8sprep_pacman_local_version ${t})" = ${v} ]`).join(' && ')}; } ||`,
      `{ ${TOOLS.map((t) => `[ -x ${BINARY_DIR}/${t} ]`).join(' && ')} &&`,
      ...units().map((u) => fileMatches(u, '&&')),
      '  true; }',
    ].join('\n');
  },
  install: (cluster) => {
    const v = cluster.kubernetes.version.full;
    const base = kubernetesBinaryMirror(cluster);
    return [
      'local repo',
      'repo=$(k8sprep_pacman_repo_version kubeadm)',
      `if [ "$repo" = ${v} ]; then`,
      `  pacman -S --needed --noconfirm ${TOOLS.join(' ')}`,
      'else',
      base
        ? binaryInstall(cluster, base)
        : `  k8sprep_die "Arch's repository has kubeadm \${repo:-(none)} but the cluster wants ${v}, and mirrors.packages: aliyun has no mirror of the Kubernetes release binaries: set kubernetes.version to \${repo:-the version Arch has} or mirrors.packages: upstream (release binaries from dl.k8s.io)"`,
      'fi',
    ].join('\n');
  },
};
