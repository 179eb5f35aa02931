/**
 * Pre-pull the load balancer's and the CNI's images (DESIGN §4: "Prep pre-pulls the CNI's and
 * the load balancer's images like kubeadm's"), so the static pods and the CNI's pods start
 * without waiting on a registry — through the containerd mirrors of `mirrors.registries`, since
 * these images keep their upstream names (ghcr.io, quay.io, docker.io). A final failure names
 * the images still missing.
 */
import { addonImages } from '../cluster/addons.js';
import { shqAll } from '../script/quote.js';
import type { Step, StepContext } from './types.js';

const ATTEMPTS = 3;

function images(ctx: StepContext): string[] {
  return addonImages(ctx.cluster, ctx.host);
}

const MISSING = String.raw`# k8sprep_addon_images_missing IMAGE...: the ones crictl does not have.
k8sprep_addon_images_missing() {
  local image
  for image in "$@"; do crictl inspecti "$image" >/dev/null 2>&1 || echo "$image"; done
}`;

export const addonImagesStep: Step = {
  id: 'addon-images',
  title: "Pull the load balancer's and the CNI's images",
  appliesTo: (ctx) => images(ctx).length > 0,
  helpers: () => [MISSING],
  check: (ctx) => `[ -z "$(k8sprep_addon_images_missing ${shqAll(images(ctx))})" ]`,
  apply: (ctx) =>
    [
      'local attempt image missing',
      `for attempt in $(seq ${ATTEMPTS}); do`,
      `  missing=$(k8sprep_addon_images_missing ${shqAll(images(ctx))})`,
      '  [ -z "$missing" ] && return 0',
      '  for image in $missing; do crictl pull "$image" >/dev/null 2>&1 || true; done',
      `  if [ "$attempt" -lt ${ATTEMPTS} ]; then sleep "$((attempt * 2))"; fi`,
      'done',
      `missing=$(k8sprep_addon_images_missing ${shqAll(images(ctx))} | paste -sd ' ' -)`,
      `[ -z "$missing" ] || k8sprep_die "could not pull $missing after ${ATTEMPTS} attempts (is a registry mirror for them in spec.mirrors.registries?)"`,
    ].join('\n'),
};
