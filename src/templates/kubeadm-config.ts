/**
 * kubeadm's configuration files (DESIGN §4 "Config"): InitConfiguration + ClusterConfiguration +
 * KubeletConfiguration + KubeProxyConfiguration for `kubeadm init`, JoinConfiguration for
 * `kubeadm join`. `kubeadm.k8s.io/v1beta3` up to Kubernetes 1.30, `v1beta4` from 1.31 (1.31–1.35
 * read both; v1beta3 is deprecated there and removed in 1.36). Differences that matter here:
 * v1beta4's kubeletExtraArgs is a list of `{name, value}` (a map in v1beta3), and v1beta4 carries
 * the cluster's certificate validity and key algorithm, so a later hand-run `kubeadm certs
 * renew` keeps them. Field lists per version: test/data/kubeadm-api/.
 *
 * Host values known only on the host (the node's IPv4 when its address is a name; a template
 * host's name and IPv4) appear as NODE_IP_PLACEHOLDER and NODE_NAME_PLACEHOLDER, and the token
 * as TOKEN_PLACEHOLDER: the step substitutes them.
 */
import { stringify } from 'yaml';
import type { Cluster, Host, OsId } from '../cluster/types.js';
import { hostPort } from '../cluster/net.js';
import { needsSystemVerificationIgnored } from '../cluster/versions.js';
import { CONTAINERD_SOCKET } from './containerd.js';

export const TOKEN_PLACEHOLDER = 'K8SPREP_BOOTSTRAP_TOKEN';
export const NODE_IP_PLACEHOLDER = 'K8SPREP_NODE_IP';
export const NODE_NAME_PLACEHOLDER = 'K8SPREP_NODE_NAME';
/** kubeadm's default bind port for each control plane's apiserver. */
export const APISERVER_BIND_PORT = 6443;
const KUBEADM_DIR = '/etc/kubernetes/k8sprep';
export const INIT_CONFIG = `${KUBEADM_DIR}/kubeadm-init.yaml`;
export const JOIN_CONFIG = `${KUBEADM_DIR}/kubeadm-join.yaml`;
export const TOKEN_CONFIG = `${KUBEADM_DIR}/token.yaml`;
const TOKEN_DESCRIPTION = 'k8sprep bootstrap token';
const TOKEN_GROUPS = ['system:bootstrappers:kubeadm:default-node-token'];

export type KubeadmApi = 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4';

function kubeadmApi(cluster: Cluster): KubeadmApi {
  return cluster.kubernetes.version.minor >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

/** The node's IPv4 for kubelet `node-ip` and `advertiseAddress`: its address, or the placeholder the host fills in. */
export function nodeIp(host: Host): string {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host.address) ? host.address : NODE_IP_PLACEHOLDER;
}

/** Go's Duration text for whole hours, as kubeadm writes it: 8760h0m0s. */
function goDuration(hours: number): string {
  const whole = Math.floor(hours);
  const minutes = Math.round((hours - whole) * 60);
  return `${whole}h${minutes}m0s`;
}

function kubeletExtraArgs(api: KubeadmApi, args: Record<string, string>): unknown {
  return api === 'kubeadm.k8s.io/v1beta4' ? Object.entries(args).map(([name, value]) => ({ name, value })) : args;
}

function nodeRegistration(cluster: Cluster, host: Host, os: OsId): Record<string, unknown> {
  const api = kubeadmApi(cluster);
  const reg: Record<string, unknown> = {
    name: host.runtimeIdentity ? NODE_NAME_PLACEHOLDER : host.name,
    criSocket: CONTAINERD_SOCKET,
    kubeletExtraArgs: kubeletExtraArgs(api, { 'node-ip': nodeIp(host) }),
  };
  // kubeadm 1.32+ wants kernel 4.19; CentOS 7's 3.10 runs Kubernetes up to 1.34 (DESIGN §4).
  if (needsSystemVerificationIgnored(cluster.kubernetes.version, os)) reg.ignorePreflightErrors = ['SystemVerification'];
  // A control plane that is also a worker registers without the control-plane taint.
  if (host.isControlPlane && host.isWorker) reg.taints = [];
  return reg;
}

function documents(docs: readonly Record<string, unknown>[]): string {
  // Go's YAML style: list items at their key's indentation, no line folding.
  return docs.map((d) => stringify(d, { lineWidth: 0, indentSeq: false })).join('---\n');
}

function certSans(cluster: Cluster): string[] {
  return [...new Set([cluster.apiEndpoint.host, ...(cluster.vip ? [cluster.vip] : [])])];
}

/** /etc/kubernetes/k8sprep/kubeadm-init.yaml on the first control plane. */
export function initConfig(cluster: Cluster, host: Host, os: OsId): string {
  const api = kubeadmApi(cluster);
  const k8s = cluster.kubernetes;
  const init = {
    apiVersion: api,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      { token: TOKEN_PLACEHOLDER, description: TOKEN_DESCRIPTION, ttl: '24h0m0s', usages: ['signing', 'authentication'], groups: TOKEN_GROUPS },
    ],
    nodeRegistration: nodeRegistration(cluster, host, os),
    localAPIEndpoint: { advertiseAddress: nodeIp(host), bindPort: APISERVER_BIND_PORT },
  };
  const clusterConfig: Record<string, unknown> = {
    apiVersion: api,
    kind: 'ClusterConfiguration',
    clusterName: 'kubernetes',
    // Always: without it kubeadm asks dl.k8s.io which version is "stable" (unreachable in China).
    kubernetesVersion: `v${k8s.version.full}`,
    controlPlaneEndpoint: hostPort(cluster.apiEndpoint.host, cluster.apiEndpoint.port),
    imageRepository: k8s.imageRepository,
    networking: { podSubnet: k8s.podSubnet, serviceSubnet: k8s.serviceSubnet, dnsDomain: k8s.dnsDomain },
    apiServer: { certSANs: certSans(cluster) },
  };
  if (api === 'kubeadm.k8s.io/v1beta4') {
    clusterConfig.certificateValidityPeriod = goDuration(cluster.certificates.certValidityHours);
    clusterConfig.caCertificateValidityPeriod = goDuration(cluster.certificates.caValidityHours);
    clusterConfig.encryptionAlgorithm = cluster.certificates.keyAlgorithm.toUpperCase();
  }
  const kubelet = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' };
  const proxy = { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: k8s.proxyMode };
  return documents([init, clusterConfig, kubelet, proxy]);
}

/**
 * What `kubeadm token create --config` reads on the control plane that keeps the token valid:
 * the token (InitConfiguration's bootstrapTokens) and the version (without it kubeadm asks
 * dl.k8s.io which version is stable).
 */
export function tokenConfig(cluster: Cluster): string {
  const api = kubeadmApi(cluster);
  return documents([
    {
      apiVersion: api,
      kind: 'InitConfiguration',
      bootstrapTokens: [
        { token: TOKEN_PLACEHOLDER, description: TOKEN_DESCRIPTION, ttl: '24h0m0s', usages: ['signing', 'authentication'], groups: TOKEN_GROUPS },
      ],
    },
    { apiVersion: api, kind: 'ClusterConfiguration', kubernetesVersion: `v${cluster.kubernetes.version.full}` },
  ]);
}

/** /etc/kubernetes/k8sprep/kubeadm-join.yaml on every other node. */
export function joinConfig(cluster: Cluster, host: Host, os: OsId, caCertHash: string): string {
  const join: Record<string, unknown> = {
    apiVersion: kubeadmApi(cluster),
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: { token: TOKEN_PLACEHOLDER, apiServerEndpoint: hostPort(cluster.apiEndpoint.host, cluster.apiEndpoint.port), caCertHashes: [caCertHash] },
    },
    nodeRegistration: nodeRegistration(cluster, host, os),
  };
  if (host.isControlPlane) join.controlPlane = { localAPIEndpoint: { advertiseAddress: nodeIp(host), bindPort: APISERVER_BIND_PORT } };
  return documents([join]);
}
