/**
 * `kubeadm init` on the first control plane, once: skipped when the cluster exists — this
 * node's apiserver answers /readyz and the `cluster-info` ConfigMap is there (admin.conf alone
 * proves nothing: k8sprep places it). The config (src/templates/kubeadm-config.ts, 0600: it holds
 * the bootstrap token) is checked by `kubeadm config validate` first, since init only warns
 * about an unknown field and drops it. With kube-vip on 1.29+ the manifest's kubeconfig is
 * switched from super-admin.conf to admin.conf right after init, and the endpoint waited for.
 * An init that ran before but left no working API is not retried blindly: the step says how to
 * start over.
 */
import { hostPort } from '../../cluster/net.js';
import { type TemplateSpec, writeTemplate } from '../../script/files.js';
import { shq } from '../../script/quote.js';
import { INIT_CONFIG, initConfig, NODE_IP_PLACEHOLDER, NODE_NAME_PLACEHOLDER, TOKEN_PLACEHOLDER } from '../../templates/kubeadm-config.js';
import { INTERFACE_PLACEHOLDER, KUBE_VIP_MANIFEST, kubeVipManifest } from '../../templates/load-balancer.js';
import type { Step, StepContext } from '../types.js';
import { ADDRESS_INTERFACE, KUBECTL, nodeIpFunction, nodeNameFill, WAIT_READYZ } from './host-values.js';
import { needsSuperAdminDuringInit } from './load-balancer.js';

/** How long the endpoint may take to answer after init (kube-vip restarting with its new kubeconfig). */
export const ENDPOINT_WAIT_SECONDS = 300;

/** The kubeadm config file as the step writes it: the token a secret, the node's IP (and a template host's name) filled on the host. */
export function kubeadmConfigFile(ctx: StepContext, path: string, content: string): TemplateSpec {
  return {
    path,
    mode: '600',
    // The token's placeholder is replaced by the secret's; the heredoc carries it unexpanded.
    content: content.split(TOKEN_PLACEHOLDER).join(ctx.secret('bootstrap-token')),
    fill: {
      ...(content.includes(NODE_IP_PLACEHOLDER) ? { [NODE_IP_PLACEHOLDER]: '$(k8sprep_node_ip)' } : {}),
      ...(content.includes(NODE_NAME_PLACEHOLDER) ? nodeNameFill(ctx.host) : {}),
    },
  };
}

function endpointUrl(ctx: StepContext): string {
  return `https://${hostPort(ctx.cluster.apiEndpoint.host, ctx.cluster.apiEndpoint.port)}`;
}

const CLUSTER_EXISTS = [
  "# The cluster exists: this node's apiserver is ready and kubeadm's cluster-info ConfigMap is there.",
  'k8sprep_cluster_exists() {',
  '  [ "$(curl -sfk --noproxy \'*\' --max-time 5 https://127.0.0.1:6443/readyz 2>/dev/null)" = ok ] &&',
  '    k8sprep_kubectl -n kube-public get configmap cluster-info -o name >/dev/null 2>&1',
  '}',
].join('\n');

function kubeVipSwitch(ctx: StepContext): string[] {
  if (!(ctx.cluster.controlPlaneEndpoint?.loadBalancer === 'kube-vip' && ctx.cluster.vip && needsSuperAdminDuringInit(ctx))) return [];
  const admin: TemplateSpec = {
    path: KUBE_VIP_MANIFEST,
    mode: '600',
    content: kubeVipManifest(ctx.cluster, '/etc/kubernetes/admin.conf'),
    fill: { [INTERFACE_PLACEHOLDER]: '$iface' },
  };
  return [
    '# kube-vip held the VIP with super-admin.conf during init; admin.conf has its rights now (kube-vip #684).',
    'local iface',
    'iface=$(k8sprep_address_interface "$(k8sprep_node_ip)")',
    writeTemplate(admin),
  ];
}

export const kubeadmInitStep: Step = {
  id: 'kubeadm-init',
  title: 'Create the cluster with kubeadm init (once)',
  appliesTo: (ctx) => ctx.bootstrap?.initHost === ctx.host.name,
  helpers: (ctx) => [nodeIpFunction(ctx), ADDRESS_INTERFACE, KUBECTL, WAIT_READYZ, CLUSTER_EXISTS],
  check: () => 'k8sprep_cluster_exists',
  apply: (ctx) => {
    const file = kubeadmConfigFile(ctx, INIT_CONFIG, initConfig(ctx.cluster, ctx.host, ctx.os));
    const endpoint = endpointUrl(ctx);
    return [
      'mkdir -p /etc/kubernetes/k8sprep && chmod 700 /etc/kubernetes/k8sprep',
      writeTemplate(file),
      `kubeadm config validate --config ${INIT_CONFIG} >&2`,
      'if [ -e /etc/kubernetes/manifests/kube-apiserver.yaml ]; then',
      '  # An earlier init got this far: give the API the time a restart takes before judging.',
      `  k8sprep_wait_readyz https://127.0.0.1:6443 60 && k8sprep_cluster_exists && return 0`,
      `  k8sprep_die ${shq(`kubeadm init ran on ${ctx.host.name} before but the cluster does not answer: to start over, run kubeadm reset -f on ${ctx.host.name} (it removes what init made), then k8sprep node init again`)}`,
      'fi',
      `kubeadm init --config ${INIT_CONFIG} >&2`,
      ...kubeVipSwitch(ctx),
      `k8sprep_wait_readyz ${shq(endpoint)} ${ENDPOINT_WAIT_SECONDS} || k8sprep_die ${shq(`the cluster's endpoint ${endpoint} did not answer /readyz within ${ENDPOINT_WAIT_SECONDS} s after kubeadm init`)}`,
    ].join('\n');
  },
};
