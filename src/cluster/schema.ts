/**
 * The cluster file's schema (DESIGN §2): types, enums, defaults and the safe shapes of
 * every string that can reach a script. Cross-field rules live in validate.ts. The JSON
 * Schema printed by `config schema` is generated from this same object.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

export function isHostName(value: string): boolean {
  // All-numeric dotted names are IPv4 attempts, never host names.
  return DNS_NAME.test(value) && !/^[\d.]+$/.test(value);
}

export function isAddress(value: string): boolean {
  return isIP(value) !== 0 || isHostName(value);
}

const label = (what: string) =>
  z.string().regex(DNS_LABEL, { error: (i) => `${JSON.stringify(i.input)} is not a valid ${what} (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)` });

const address = z.string().refine(isAddress, {
  error: (i) => `${JSON.stringify(i.input)} is not an IP address or host name`,
});

const port = z.int().min(1).max(65535);

const user = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a valid user name`,
});

/** A local file path; used only on this machine, never in a script. */
const localPath = z.string().min(1).regex(/^[^\n\r\0]+$/, { error: 'must be a path on one line' });

/** Go-style duration as kubeadm writes them: 87600h, 90m, 30d (d = 24h, for convenience). */
export const DURATION = /^(\d+(d|h|m|s))+$/;
// The lookahead refuses zero durations (0h, 0d0h): certificates that are already expired.
const duration = z.string().regex(new RegExp(`^(?=.*[1-9])${DURATION.source.slice(1)}`), {
  error: (i) => `${JSON.stringify(i.input)} is not a duration like 8760h or 365d`,
});

const cidr = z.string().describe('CIDR, e.g. 10.244.0.0/16');

const bastion = z.strictObject({
  host: address,
  user: user.default('root'),
  port: port.default(22),
  identityFile: localPath.optional(),
});

const ssh = z.strictObject({
  user: user.optional(),
  port: port.optional(),
  identityFile: localPath.optional(),
  passwordEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (i) => `${JSON.stringify(i.input)} is not an environment variable name` })
    .optional(),
  bastion: bastion.optional(),
});

export const OS_IDS = ['centos7', 'arch'] as const;
export const ROLES = ['control-plane', 'worker'] as const;

const hostName = label('host name');
const hostAddress = z.union([z.literal('local'), address], {
  error: (i) => `${JSON.stringify(i.input)} is not an IP address or host name`,
});
const roles = z.array(z.enum(ROLES)).min(1, { error: 'needs at least one role (control-plane, worker)' });
const os = z.enum(OS_IDS, { error: (i) => `${JSON.stringify(i.input)} is not a supported OS (centos7, arch)` });

const host = z.strictObject({
  name: hostName,
  address: hostAddress,
  roles,
  os: os.optional(),
  ssh: ssh.optional(),
});

const registryHost = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a registry host`,
});
const mirrorUrl = z.string().regex(/^https?:\/\/[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/, {
  error: (i) => `${JSON.stringify(i.input)} is not an http(s) mirror URL`,
});

/** Where Kubernetes publishes its release binaries (and the layout a binary mirror must copy). */
export const DEFAULT_BINARY_MIRROR = 'https://dl.k8s.io';

const sysctlKey = z.string().regex(/^[a-z0-9_]+([./][a-z0-9_-]+)+$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a sysctl key`,
});
const sysctlValue = z.union([
  z.number(),
  z.string().regex(/^[A-Za-z0-9 ._:,/-]*$/, { error: (i) => `${JSON.stringify(i.input)} is not a sysctl value (letters, digits, spaces and ._:,/- only)` }),
  z.null(),
]);

const kubernetesVersion = z.string().regex(/^\d+\.\d+\.\d+$/, { error: (i) => `${JSON.stringify(i.input)} is not a version like 1.30.6` });
const loadBalancer = z.enum(['kube-vip', 'keepalived-haproxy', 'external']);

/** The pieces the cross-field rules read, for salvaging them from a file that failed the schema. */
export const fieldSchemas = {
  version: kubernetesVersion,
  podSubnet: cidr,
  serviceSubnet: cidr,
  endpointHost: address,
  loadBalancer,
  hostName,
  hostAddress,
  roles,
  os,
};

export const clusterFileSchema = z.strictObject({
  apiVersion: z.literal('k8sprep.io/v1alpha1', { error: 'must be k8sprep.io/v1alpha1' }),
  kind: z.literal('Cluster', { error: 'must be Cluster' }),
  metadata: z.strictObject({ name: label('cluster name') }),
  spec: z.strictObject({
    kubernetes: z.strictObject({
      version: kubernetesVersion,
      imageRepository: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$/, {
          error: (i) => `${JSON.stringify(i.input)} is not an image repository`,
        })
        .default('registry.aliyuncs.com/google_containers'),
      podSubnet: cidr.default('10.244.0.0/16'),
      serviceSubnet: cidr.default('10.96.0.0/12'),
      dnsDomain: z.string().refine(isHostName, { error: (i) => `${JSON.stringify(i.input)} is not a DNS domain` }).default('cluster.local'),
      proxyMode: z.enum(['ipvs', 'iptables', 'nftables']).default('ipvs'),
      cni: z.enum(['calico', 'flannel', 'none']).default('calico'),
    }),
    controlPlaneEndpoint: z
      .strictObject({
        host: address,
        port: port.default(6443),
        loadBalancer: loadBalancer.default('kube-vip'),
      })
      .optional(),
    mirrors: z
      .strictObject({
        packages: z.enum(['aliyun', 'upstream']).default('aliyun'),
        registries: z.record(registryHost, z.array(mirrorUrl).min(1)).default({}),
        binaries: mirrorUrl
          .describe(
            'Base URL of the Kubernetes release binaries, laid out like https://dl.k8s.io (<base>/release/v<version>/bin/linux/<arch>/kubeadm and .sha256); ' +
              'used on Arch when its repository has another Kubernetes version. In China: https://files.m.daocloud.io/dl.k8s.io',
          )
          .default(DEFAULT_BINARY_MIRROR),
      })
      .default({ packages: 'aliyun', registries: {}, binaries: DEFAULT_BINARY_MIRROR }),
    firewall: z.enum(['open-ports', 'disable']).default('open-ports'),
    sysctl: z.record(sysctlKey, sysctlValue).default({}),
    certificates: z
      .strictObject({
        keyAlgorithm: z.enum(['rsa-2048', 'rsa-3072', 'rsa-4096']).default('rsa-2048'),
        caValidity: duration.default('87600h'),
        certValidity: duration.default('8760h'),
      })
      .default({ keyAlgorithm: 'rsa-2048', caValidity: '87600h', certValidity: '8760h' }),
    ssh: ssh.default({}),
    hosts: z.array(host).min(1, { error: 'needs at least one host' }),
  }),
});

export type ClusterFile = z.output<typeof clusterFileSchema>;
export type ClusterFileInput = z.input<typeof clusterFileSchema>;
