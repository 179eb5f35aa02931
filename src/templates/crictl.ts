import { CONTAINERD_SOCKET } from './containerd.js';

export const CRICTL_CONFIG = '/etc/crictl.yaml';

/**
 * /etc/crictl.yaml. crictl accepts only runtime-endpoint, image-endpoint, timeout, debug,
 * pull-image-on-create and disable-pull-on-run; anything else is an error on every call.
 */
export function crictlConfig(): string {
  return [`runtime-endpoint: ${CONTAINERD_SOCKET}`, `image-endpoint: ${CONTAINERD_SOCKET}`, 'timeout: 10', 'debug: false', ''].join('\n');
}
