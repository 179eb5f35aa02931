/**
 * A node that a failed `kubeadm join` (or init) left half-joined — kubeadm's files present, no
 * registered Node — is reset with `kubeadm reset -f` so the join can run again (kubeadm join
 * refuses a node with a kubelet.conf, and a control plane with leftover manifests). Runs before
 * the certificates and load balancer files are placed: reset removes /etc/kubernetes/pki and
 * /etc/kubernetes/manifests. A node whose registration cannot be asked (the API is unreachable)
 * is never reset: the step fails and says why.
 */
import { shq } from '../../script/quote.js';
import { CONTAINERD_SOCKET } from '../../templates/containerd.js';
import type { Step } from '../types.js';
import { nodeNameHelper, nodeNameWord, REGISTRATION, textWithNodeName } from './host-values.js';

export const halfJoinedStep: Step = {
  id: 'half-joined',
  title: 'Reset a node that an earlier join left half-joined',
  appliesTo: (ctx) => ctx.bootstrap?.initHost !== ctx.host.name,
  helpers: (ctx) => [nodeNameHelper(ctx.host), REGISTRATION],
  check: (ctx) => `case $(k8sprep_registration ${nodeNameWord(ctx.host)}) in fresh | registered) return 0 ;; *) return 1 ;; esac`,
  apply: (ctx) =>
    [
      'local state',
      `state=$(k8sprep_registration ${nodeNameWord(ctx.host)})`,
      'case $state in',
      `  unknown:*) k8sprep_die ${textWithNodeName(ctx.host, 'cannot tell whether ', ' is a registered node (')}"\${state#unknown: }"${shq('); nothing was reset')} ;;`,
      'esac',
      `kubeadm reset -f --cri-socket ${CONTAINERD_SOCKET} >&2`,
      `k8sprep_note ${textWithNodeName(ctx.host, '', " was half-joined (kubeadm's files without a registered node): reset with kubeadm reset -f and joined again")}`,
    ].join('\n'),
};
