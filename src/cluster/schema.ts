/**
 * The cluster file's schema (DESIGN §2): structure, enums, defaults, and a description of
 * every field (what it is, its default, an example) that `config schema` hands to editors
 * as hover help. The value shapes are in shapes.ts, cross-field rules in validate.ts.
 */
import { z } from 'zod';
import {
  address,
  cidr,
  dnsDomain,
  duration,
  environmentVariable,
  fileUrl,
  hostAddress,
  imageRepository,
  kubernetesVersion,
  label,
  localPath,
  mirrorUrl,
  nodeAddress,
  port,
  registryHost,
  sha256,
  sysctlKey,
  sysctlValue,
  user,
  virtualIp,
} from './shapes.js';

export const OS_IDS = ['centos7', 'arch'] as const;
export const ROLES = ['control-plane', 'worker'] as const;
export const PROXY_MODES = ['ipvs', 'iptables', 'nftables'] as const;
export const CNIS = ['calico', 'flannel', 'none'] as const;
export const LOAD_BALANCERS = ['kube-vip', 'keepalived-haproxy', 'external'] as const;
export const KEY_ALGORITHMS = ['rsa-2048', 'rsa-3072', 'rsa-4096'] as const;

/** Where Kubernetes publishes its release binaries (and the layout a binary mirror must copy). */
const DEFAULT_BINARY_MIRROR = 'https://dl.k8s.io';

const bastion = z
  .strictObject({
    host: address.describe('Address of the jump host, e.g. jump.example.com.'),
    user: user.default('root').describe('Login user on the jump host. Default: root.'),
    port: port.default(22).describe('SSH port of the jump host. Default: 22.'),
    identityFile: localPath.optional().describe('Private key for the jump host, e.g. ~/.ssh/jump_ed25519. Default: ssh-agent, then ~/.ssh/config.'),
  })
  .describe('A jump host every SSH connection goes through (like ProxyJump), e.g. {host: jump.example.com, user: ops}. Default: none.');

const sshFields = {
  user: user.optional().describe('Login user; a user other than root runs the scripts through sudo. Default: root. Example: admin.'),
  port: port.optional().describe('SSH port. Default: 22.'),
  identityFile: localPath.optional().describe('Private key file on this machine, e.g. ~/.ssh/id_ed25519. Default: ssh-agent, then ~/.ssh/config.'),
  passwordEnv: environmentVariable
    .optional()
    .describe('Name of the environment variable holding the SSH (and sudo) password, e.g. K8SPREP_SSH_PASSWORD; never the password itself. Default: none.'),
  bastion: bastion.optional(),
};

const os = z.enum(OS_IDS, { error: (i) => `${JSON.stringify(i.input)} is not a supported OS (centos7, arch)` });
const roles = z.array(z.enum(ROLES)).min(1, { error: 'needs at least one role (control-plane, worker)' });
const loadBalancer = z.enum(LOAD_BALANCERS);

const host = z
  .strictObject({
    name: label('host name').describe('Node name (DNS-1123 label); the host is renamed to it. Example: cp1.'),
    address: hostAddress.describe('Where to reach the host: an IPv4 address or DNS name (e.g. 192.168.10.11), or `local` to run on this machine.'),
    roles: roles.describe('control-plane and/or worker, e.g. [control-plane] or [control-plane, worker].'),
    os: os.optional().describe('centos7 or arch. Default: read from /etc/os-release over SSH (a dry run then connects).'),
    ssh: z.strictObject(sshFields).optional().describe("This host's overrides of spec.ssh, e.g. {user: admin}."),
  })
  .describe('One machine, e.g. {name: cp1, address: 192.168.10.11, roles: [control-plane], os: centos7}.');

const proxyMode = z.enum(PROXY_MODES);
const cni = z.enum(CNIS);
const kubernetesDefaults = {
  imageRepository: 'registry.aliyuncs.com/google_containers',
  podSubnet: '10.244.0.0/16',
  serviceSubnet: '10.96.0.0/12',
  dnsDomain: 'cluster.local',
} as const;

const kubernetes = z
  .strictObject({
    version: kubernetesVersion.describe('Kubernetes version x.y.z, required, e.g. "1.30.6" (CentOS 7: 1.28-1.34; Arch: 1.28-1.35).'),
    imageRepository: imageRepository
      .default(kubernetesDefaults.imageRepository)
      .describe(`Where kubeadm pulls the control-plane images from. Default: ${kubernetesDefaults.imageRepository}. Example: registry.k8s.io.`),
    podSubnet: cidr.default(kubernetesDefaults.podSubnet).describe(`IPv4 CIDR of the pod network. Default: ${kubernetesDefaults.podSubnet}.`),
    serviceSubnet: cidr
      .default(kubernetesDefaults.serviceSubnet)
      .describe(`IPv4 CIDR of the service network; its first address is the kubernetes service IP. Default: ${kubernetesDefaults.serviceSubnet}.`),
    dnsDomain: dnsDomain.default(kubernetesDefaults.dnsDomain).describe(`The cluster's DNS domain. Default: ${kubernetesDefaults.dnsDomain}.`),
    proxyMode: proxyMode
      .default('ipvs')
      .describe('kube-proxy mode: ipvs, iptables or nftables (Kubernetes 1.31+, kernel 5.13+: not on CentOS 7). Default: ipvs.'),
    cni: cni.default('calico').describe('Pod network add-on: calico, flannel or none (bring your own). Default: calico.'),
    cniManifest: z
      .strictObject({
        url: fileUrl.describe('http(s) URL of the manifest, e.g. https://files.example.com/calico/v3.28.2/calico.yaml.'),
        sha256: sha256.describe('SHA-256 of the manifest, 64 hexadecimal digits.'),
      })
      .optional()
      .describe(
        "The CNI manifest to apply instead of the pinned release's (air-gapped sites): {url, sha256}. Default: the pinned release per Kubernetes version.",
      ),
  })
  .describe('The Kubernetes version and cluster networking, e.g. {version: "1.30.6"}.');

const notRouterId = { error: (i: { input?: unknown }) => `${JSON.stringify(i.input)} is not a VRRP virtual router id (an integer 1-255)` };
const virtualRouterId = z.int(notRouterId).min(1, notRouterId).max(255, notRouterId);

const controlPlaneEndpoint = z
  .strictObject({
    host: nodeAddress.describe(
      "Where clients reach the API servers: the virtual IP (e.g. 192.168.10.100), or a DNS name (then every host's /etc/hosts maps it to `address`, the VIP).",
    ),
    address: virtualIp
      .optional()
      .describe('The virtual IP (IPv4) when host is a DNS name (kube-vip, keepalived-haproxy), e.g. 192.168.10.100. Default: host, when it is an IP address.'),
    port: port
      .optional()
      .describe(
        "API port at the endpoint. kube-vip: 6443 only (the local apiserver's port); keepalived-haproxy: default 8443, never 6443; external: default 6443.",
      ),
    loadBalancer: loadBalancer
      .default('kube-vip')
      .describe(
        'What serves the endpoint: kube-vip (ARP VIP), keepalived-haproxy (VRRP VIP + haproxy on the control planes) or external (yours). Default: kube-vip.',
      ),
    virtualRouterId: virtualRouterId
      .optional()
      .describe('keepalived-haproxy only: the VRRP virtual_router_id, 1-255, unique on the network segment. Default: 51.'),
  })
  .describe('The API endpoint; required with more than one control plane. Example: {host: 192.168.10.100, loadBalancer: kube-vip}.');

const mirrors = z
  .strictObject({
    packages: z.enum(['aliyun', 'upstream']).default('aliyun').describe('Package repositories: aliyun (mirrors.aliyun.com) or upstream. Default: aliyun.'),
    registries: z
      .record(registryHost, z.array(mirrorUrl).min(1))
      .default({})
      .describe('Pull mirrors per upstream registry, written to containerd hosts.toml, e.g. {docker.io: [https://docker.m.daocloud.io]}. Default: none.'),
    binaries: mirrorUrl
      .default(DEFAULT_BINARY_MIRROR)
      .describe(
        'Base URL of the Kubernetes release binaries, laid out like https://dl.k8s.io (<base>/release/v<version>/bin/linux/<arch>/kubeadm and .sha256); ' +
          `used on Arch when its repository has another Kubernetes version. Default: ${DEFAULT_BINARY_MIRROR}. In China: https://files.m.daocloud.io/dl.k8s.io`,
      ),
    manifests: mirrorUrl
      .optional()
      .describe('URL prefix for CNI manifest downloads: <prefix>/<upstream host>/<path>, e.g. https://files.m.daocloud.io. Default: the upstream URLs.'),
  })
  .default({ packages: 'aliyun', registries: {}, binaries: DEFAULT_BINARY_MIRROR })
  .describe('Where packages, images, binaries and manifests come from. Default: aliyun packages, upstream everything else.');

const certificates = z
  .strictObject({
    keyAlgorithm: z.enum(KEY_ALGORITHMS).default('rsa-2048').describe('Key type and size of every key: rsa-2048, rsa-3072 or rsa-4096. Default: rsa-2048.'),
    caValidity: duration
      .default('87600h')
      .describe('How long the CAs are valid (h, m, s, or d for days), e.g. 87600h. Default: 87600h (10 years, like kubeadm).'),
    certValidity: duration.default('8760h').describe('How long leaf certificates are valid, e.g. 8760h or 365d. Default: 8760h (1 year, like kubeadm).'),
  })
  .default({ keyAlgorithm: 'rsa-2048', caValidity: '87600h', certValidity: '8760h' })
  .describe("The cluster's PKI. Default: rsa-2048, CAs 10 years, leaves 1 year.");

export const clusterFileSchema = z
  .strictObject({
    apiVersion: z.literal('k8sprep.io/v1alpha1', { error: 'must be k8sprep.io/v1alpha1' }).describe('Always k8sprep.io/v1alpha1.'),
    kind: z.literal('Cluster', { error: 'must be Cluster' }).describe('Always Cluster.'),
    metadata: z
      .strictObject({ name: label('cluster name').describe('Cluster name (DNS-1123 label); the local state lives in .k8sprep/<name>. Example: demo.') })
      .describe("The cluster's name, e.g. {name: demo}."),
    spec: z
      .strictObject({
        kubernetes,
        controlPlaneEndpoint: controlPlaneEndpoint.optional(),
        mirrors,
        firewall: z
          .enum(['open-ports', 'disable'])
          .default('open-ports')
          .describe('firewalld: open-ports (open what Kubernetes needs, firewalld keeps running) or disable (stop it). Default: open-ports.'),
        sysctl: z
          .record(sysctlKey, sysctlValue)
          .default({})
          .describe('Kernel settings merged over the built-in table; null removes a built-in key. Example: {vm.max_map_count: 262144}. Default: none.'),
        certificates,
        ssh: z.strictObject(sshFields).default({}).describe('SSH defaults for every host, e.g. {user: root, identityFile: ~/.ssh/id_ed25519}.'),
        hosts: z.array(host).min(1, { error: 'needs at least one host' }).describe('The machines, in order; the first control plane runs kubeadm init.'),
      })
      .describe('The cluster: Kubernetes, endpoint, mirrors, host settings and hosts.'),
  })
  .describe('A k8sprep cluster file (k8sprep.io/v1alpha1, kind Cluster).');

/** The pieces the cross-field rules read, for salvaging them from a file that failed the schema. */
export const fieldSchemas = {
  version: kubernetesVersion,
  podSubnet: cidr,
  serviceSubnet: cidr,
  proxyMode,
  cni,
  endpointHost: nodeAddress,
  endpointAddress: virtualIp,
  endpointPort: port,
  loadBalancer,
  hostName: label('host name'),
  hostAddress,
  roles,
  os,
};

export type ClusterFile = z.output<typeof clusterFileSchema>;
