/**
 * kubelet, kubeadm and kubectl of exactly the cluster's version (how: src/os, per distro),
 * kubelet enabled (kubeadm starts it). Each tool must report the requested version: a
 * different one (an older copy earlier in PATH, a package held at another release) is an
 * error, never silently accepted, since a kubelet newer than the API server is not allowed.
 */
import { osFamily } from '../os/index.js';
import type { Step, StepContext } from './types.js';

function versionHelpers(ctx: StepContext): string {
  const v = `v${ctx.cluster.kubernetes.version.full}`;
  return [
    "# Prints what is wrong with the installed tools' versions; nothing when all report the cluster's.",
    'k8sprep_kube_version_problems() {',
    '  local got',
    "  got=$(kubeadm version -o short 2>/dev/null) || got='(kubeadm not runnable)'",
    `  [ "$got" = ${v} ] || echo "kubeadm ($(command -v kubeadm || echo missing)) reports $got, not ${v}"`,
    '  got=$(kubectl version --client 2>/dev/null | awk \'$1 == "Client" && $2 == "Version:" {print $3}\') || got=\'\'',
    `  [ "$got" = ${v} ] || echo "kubectl ($(command -v kubectl || echo missing)) reports \${got:-no version}, not ${v}"`,
    "  got=$(kubelet --version 2>/dev/null | awk '{print $2}') || got=''",
    `  [ "$got" = ${v} ] || echo "kubelet ($(command -v kubelet || echo missing)) reports \${got:-no version}, not ${v}"`,
    '  return 0',
    '}',
  ].join('\n');
}

export const kubernetesPackagesStep: Step = {
  id: 'kubernetes-packages',
  title: 'Install kubelet, kubeadm and kubectl at the cluster version',
  appliesTo: () => true,
  helpers: (ctx) => [osFamily(ctx.os).packageHelpers, osFamily(ctx.os).kubernetes.helpers(ctx.cluster), versionHelpers(ctx)].filter(Boolean).join('\n'),
  check: (ctx) =>
    [
      `{ ${osFamily(ctx.os).kubernetes.installed(ctx.cluster)}\n} &&`,
      '[ -z "$(k8sprep_kube_version_problems)" ] &&',
      'systemctl is-enabled --quiet kubelet',
    ].join('\n'),
  apply: (ctx) =>
    [
      osFamily(ctx.os).kubernetes.install(ctx.cluster),
      'local problems',
      "problems=$(k8sprep_kube_version_problems | paste -sd ';' -)",
      `[ -z "$problems" ] || k8sprep_die "after installing Kubernetes ${ctx.cluster.kubernetes.version.full}: $problems"`,
      'systemctl enable kubelet',
    ].join('\n'),
};
