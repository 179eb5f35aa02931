/**
 * Pre-pull the images from the cluster's imageRepository, so `kubeadm init/join` starts
 * without waiting on (or failing at) the registry. Control planes pull kubeadm's whole set
 * with `kubeadm config images pull`; workers only what runs on them (pause, kube-proxy,
 * CoreDNS) with crictl. The list comes from the installed kubeadm itself. Transient registry
 * errors are retried with backoff; a final failure names the images still missing.
 */
import { WORKER_COMPONENTS } from '../cluster/images.js';
import { shq } from '../script/quote.js';
import { CONTAINERD_SOCKET } from '../templates/containerd.js';
import type { Step, StepContext } from './types.js';

export const PULL_ATTEMPTS = 5;
/** Seconds before the second attempt; doubled each time (2, 4, 8, 16). */
export const FIRST_RETRY_DELAY = 2;

function kubeadmFlags(ctx: StepContext): string {
  return `--kubernetes-version ${ctx.cluster.kubernetes.version.full} --image-repository ${shq(ctx.cluster.kubernetes.imageRepository)}`;
}

function helpers(ctx: StepContext): string {
  const workerFilter = [...WORKER_COMPONENTS].map((c) => `name == "${c}"`).join(' || ');
  return [
    '# The images this host needs, from the installed kubeadm.',
    'k8sprep_images_wanted() {',
    ctx.host.isControlPlane
      ? `  kubeadm config images list ${kubeadmFlags(ctx)} 2>/dev/null`
      : `  kubeadm config images list ${kubeadmFlags(ctx)} 2>/dev/null |\n    awk -F/ '{ name = $NF; sub(/:.*/, "", name); if (${workerFilter}) print }'`,
    '}',
    'k8sprep_images_missing() {',
    '  local image',
    '  for image in $(k8sprep_images_wanted); do',
    '    crictl inspecti "$image" >/dev/null 2>&1 || echo "$image"',
    '  done',
    '}',
    pullFunction(ctx),
  ].join('\n');
}

/** One pull attempt, errors appended to the file $1. */
function pullFunction(ctx: StepContext): string {
  return [
    'k8sprep_pull_images() {',
    ...(ctx.host.isControlPlane
      ? [`  kubeadm config images pull ${kubeadmFlags(ctx)} --cri-socket ${CONTAINERD_SOCKET} >/dev/null 2>>"$1"`]
      : [
          '  local image pulled=yes',
          '  for image in $(k8sprep_images_missing); do',
          '    crictl pull "$image" >/dev/null 2>>"$1" || pulled=no',
          '  done',
          '  [ "$pulled" = yes ]',
        ]),
    '}',
  ].join('\n');
}

export const imagesStep: Step = {
  id: 'images',
  title: 'Pull the Kubernetes images from the image mirror',
  appliesTo: () => true,
  helpers,
  check: () => ['local wanted', 'wanted=$(k8sprep_images_wanted) && [ -n "$wanted" ] &&', '[ -z "$(k8sprep_images_missing)" ]'].join('\n'),
  apply: (ctx) =>
    [
      `local attempt=1 delay=${FIRST_RETRY_DELAY} log missing`,
      `[ -n "$(k8sprep_images_wanted)" ] || k8sprep_die "kubeadm lists no images for Kubernetes ${ctx.cluster.kubernetes.version.full}: $(kubeadm config images list ${kubeadmFlags(ctx)} 2>&1 | tail -n 1)"`,
      'log=$(mktemp)',
      'while :; do',
      '  if k8sprep_pull_images "$log"; then break; fi',
      `  [ "$attempt" -lt ${PULL_ATTEMPTS} ] || break`,
      `  echo "k8sprep: pulling images failed (attempt $attempt of ${PULL_ATTEMPTS}), retrying in \${delay}s: $(tail -n 1 "$log")" >&2`,
      '  sleep "$delay"',
      '  attempt=$((attempt + 1))',
      '  delay=$((delay * 2))',
      'done',
      "missing=$(k8sprep_images_missing | paste -sd ' ' -)",
      'if [ -n "$missing" ]; then',
      '  tail -n 5 "$log" >&2',
      '  rm -f "$log"',
      `  k8sprep_die "could not pull $missing from ${ctx.cluster.kubernetes.imageRepository} after ${PULL_ATTEMPTS} attempts (errors above)"`,
      'fi',
      'rm -f "$log"',
    ].join('\n'),
};
