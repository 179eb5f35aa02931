/**
 * `kubeadm join` of a control plane (one at a time: etcd member additions are not safe in
 * parallel) or a worker (in parallel), through the cluster's endpoint, with the bootstrap token
 * and the CA hash of the local PKI. Skipped for a node that is already registered. The config
 * (0600: it holds the token) is checked by `kubeadm config validate` first. A half-joined node
 * was reset by the half-joined step before the certificates were placed again.
 */
import { JOIN_CONFIG, joinConfig } from '../../templates/kubeadm-config.js';
import { writeTemplate } from '../../script/files.js';
import type { Step, StepContext } from '../types.js';
import { nodeIpFunction, nodeNameHelper, nodeNameWord, REGISTRATION } from './host-values.js';
import { kubeadmConfigFile } from './kubeadm-init.js';

function caCertHash(ctx: StepContext): string {
  const hash = ctx.bootstrap?.state?.caCertHash;
  if (!hash) throw new Error('the kubeadm-join step needs the local state');
  return hash;
}

export const kubeadmJoinStep: Step = {
  id: 'kubeadm-join',
  title: 'Join the cluster with kubeadm join',
  // Where it runs is the phase's placement: every node but the one that inits.
  appliesTo: (ctx) => ctx.bootstrap?.initHost !== ctx.host.name,
  helpers: (ctx) => [nodeNameHelper(ctx.host), nodeIpFunction(ctx), REGISTRATION],
  check: (ctx) => `[ "$(k8sprep_registration ${nodeNameWord(ctx.host)})" = registered ]`,
  // The kubelet registers its Node right after its TLS bootstrap: give it a minute.
  verify: (ctx) => `local _
for _ in $(seq 30); do [ "$(k8sprep_registration ${nodeNameWord(ctx.host)})" = registered ] && return 0; sleep 2; done
return 1`,
  apply: (ctx) => {
    const file = kubeadmConfigFile(ctx, JOIN_CONFIG, joinConfig(ctx.cluster, ctx.host, ctx.os, caCertHash(ctx)));
    return [
      'mkdir -p /etc/kubernetes/k8sprep && chmod 700 /etc/kubernetes/k8sprep',
      writeTemplate(file),
      `kubeadm config validate --config ${JOIN_CONFIG} >&2`,
      `kubeadm join --config ${JOIN_CONFIG} >&2`,
    ].join('\n');
  },
};
