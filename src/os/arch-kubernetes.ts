/**
 * kubelet/kubeadm/kubectl on Arch. Arch's `extra` tracks the newest Kubernetes release, so
 * the script decides at run time: pacman when the sync database has exactly the cluster's
 * version, otherwise the release binaries from `mirrors.binaries` (sha256 verified) with a
 * kubelet unit and kubeadm drop-in. Preflight (read-only) reports the repository's version
 * and refuses, before anything changes, when the binaries cannot be installed; the install
 * keeps the same guards for runs that skip preflight.
 */
import type { Cluster } from '../cluster/types.js';
import { fileMatches, writeFile } from '../script/files.js';
import { shq } from '../script/quote.js';
import { kubeadmDropIn, kubeletUnit } from '../templates/kubelet-unit.js';
import { ARCH_KUBERNETES_HELPERS, TOOLS } from './arch-pacman.js';
import type { KubernetesInstall } from './types.js';

const BINARY_DIR = '/usr/local/bin';
const KUBELET_UNIT = '/etc/systemd/system/kubelet.service';
const KUBEADM_DROP_IN = '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf';
/** The fact preflight reports: the kubeadm version in pacman's sync database ("none" when absent). */
export const REPO_VERSION_FACT = 'kubernetes_repo_version';

/**
 * The directory of the cluster version's binaries, `$arch` left to the script:
 * `<mirrors.binaries>/release/v<version>/bin/linux/$arch/<name>` and `<name>.sha256`.
 */
function binaryDir(cluster: Cluster): string {
  return `${shq(`${cluster.mirrors.binaries}/release/v${cluster.kubernetes.version.full}/bin/linux`)}/$arch`;
}

function units() {
  const kubelet = `${BINARY_DIR}/kubelet`;
  return [
    { path: KUBELET_UNIT, mode: '644', content: kubeletUnit(kubelet) },
    { path: KUBEADM_DROP_IN, mode: '644', content: kubeadmDropIn(kubelet) },
  ];
}

/** Why pacman's own copies block the binaries, for preflight and the install alike. */
function conflictMessage(cluster: Cluster, installed: string): string {
  const v = cluster.kubernetes.version.full;
  return `pacman has ${installed} installed, but the cluster needs ${v}, which Arch's repository does not have (it has \${repo:-no kubeadm}): the ${v} release binaries cannot go beside it. Remove the packages (pacman -R kubeadm kubelet kubectl) and run again, or set kubernetes.version to \${repo:-the version Arch has}`;
}

function preflight(cluster: Cluster): string {
  const v = cluster.kubernetes.version.full;
  const base = cluster.mirrors.binaries;
  const needed = `Arch's repository has kubeadm \${repo:-(none)}, not ${v}, so the ${v} release binaries are needed`;
  return [
    'local repo arch url err conflict',
    'repo=$(k8sprep_pacman_repo_version kubeadm)',
    `k8sprep_fact ${REPO_VERSION_FACT} "\${repo:-none}"`,
    `if [ "$repo" = ${v} ] || { ${archKubernetesInstall.installed(cluster)}\n}; then return 0; fi`,
    `echo ${shq('k8sprep: note: ')}"${needed}: kubernetes-packages installs them from "${shq(base)} >&2`,
    'while read -r conflict; do',
    `  if [ -n "$conflict" ]; then k8sprep_problem "${conflictMessage(cluster, '$conflict')}"; fi`,
    `done <<<"$(k8sprep_pacman_kube_conflicts ${v})"`,
    'if ! arch=$(k8sprep_release_arch); then',
    `  k8sprep_problem "${needed}, and Kubernetes publishes none for machine type $(uname -m): set kubernetes.version to \${repo:-the version Arch has}"`,
    '  return 0',
    'fi',
    `url=${binaryDir(cluster)}/kubeadm.sha256`,
    'if ! err=$(curl -fsS --retry 2 --retry-delay 1 --max-time 30 -o /dev/null "$url" 2>&1); then',
    `  k8sprep_problem "${needed}, but $url could not be downloaded (\${err:-no answer}): set spec.mirrors.binaries to a reachable copy of https://dl.k8s.io (in China: https://files.m.daocloud.io/dl.k8s.io), or kubernetes.version to \${repo:-the version Arch has}"`,
    'fi',
  ].join('\n');
}

function binaryInstall(cluster: Cluster): string {
  const v = cluster.kubernetes.version.full;
  const fetch = 'curl -fsSL --retry 5 --retry-delay 2';
  return [
    'local p arch url tmp sum conflicts',
    `conflicts=$(k8sprep_pacman_kube_conflicts ${v} | paste -sd ',' - | sed 's/,/, /g')`,
    `[ -z "$conflicts" ] || k8sprep_die "${conflictMessage(cluster, '$conflicts')}"`,
    'arch=$(k8sprep_release_arch) || k8sprep_die "Kubernetes publishes no release binaries for machine type $(uname -m)"',
    '# All three downloaded and verified before anything is installed: a bad download changes nothing.',
    'tmp=$(mktemp -d)',
    `for p in ${TOOLS.join(' ')}; do`,
    `  url=${binaryDir(cluster)}/$p`,
    `  ${fetch} -o "$tmp/$p" "$url" || { rm -rf "$tmp"; k8sprep_die "downloading $url failed"; }`,
    `  sum=$(${fetch} "$url.sha256") || { rm -rf "$tmp"; k8sprep_die "downloading $url.sha256 failed"; }`,
    '  if ! printf \'%s  %s\\n\' "${sum%% *}" "$tmp/$p" | sha256sum -c --quiet - >/dev/null 2>&1; then',
    '    rm -rf "$tmp"',
    '    k8sprep_die "$url does not match its published sha256 checksum ($url.sha256): refusing to install it (a corrupted download or a bad mirror)"',
    '  fi',
    'done',
    '# What the kubelet and kubeadm preflight run; the pacman packages would have pulled them in.',
    'k8sprep_pacman_install conntrack-tools socat ethtool',
    'command -v iptables >/dev/null 2>&1 || k8sprep_pacman_install iptables',
    `for p in ${TOOLS.join(' ')}; do install -m 755 "$tmp/$p" ${BINARY_DIR}/"$p"; done`,
    'rm -rf "$tmp"',
    ...units().map(writeFile),
    'systemctl daemon-reload',
  ].join('\n');
}

export const archKubernetesInstall: KubernetesInstall = {
  helpers: () => ARCH_KUBERNETES_HELPERS,
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
    return [
      'local repo',
      'repo=$(k8sprep_pacman_repo_version kubeadm)',
      `if [ "$repo" = ${v} ]; then`,
      `  k8sprep_pacman_install ${TOOLS.join(' ')}`,
      'else',
      binaryInstall(cluster),
      'fi',
    ].join('\n');
  },
  preflight,
};
