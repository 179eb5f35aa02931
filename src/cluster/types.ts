/**
 * The validated, defaulted and derived cluster: what every later stage (plan, render,
 * PKI, transports) reads. Produced only by `loadCluster` / `clusterFromFlags`.
 */
export type OsId = 'centos7' | 'arch';
export type Role = 'control-plane' | 'worker';
export type ProxyMode = 'ipvs' | 'iptables' | 'nftables';
export type Cni = 'calico' | 'flannel' | 'none';
export type LoadBalancer = 'kube-vip' | 'keepalived-haproxy' | 'external';
export type KeyAlgorithm = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export interface Bastion {
  host: string;
  user: string;
  port: number;
  identityFile?: string;
}

export interface SshSettings {
  user: string;
  port: number;
  /** Absolute path (`~` expanded). Absent: ssh-agent, then ~/.ssh/config's IdentityFile. */
  identityFile?: string;
  /** Name of the environment variable holding the SSH (and sudo) password. */
  passwordEnv?: string;
  bastion?: Bastion;
}

export interface Host {
  name: string;
  /** IPv4/IPv6 address, DNS name, or `local` for the local transport. */
  address: string;
  roles: Role[];
  /** Declared OS; absent means "detect over SSH". */
  os?: OsId;
  ssh: SshSettings;
  isControlPlane: boolean;
  isWorker: boolean;
  /** Position in the cluster file's host list. */
  index: number;
}

export interface KubernetesVersion {
  /** "1.30.6" */
  full: string;
  major: number;
  minor: number;
  patch: number;
  /** "1.30" */
  minorString: string;
}

export interface Cluster {
  name: string;
  /** Absolute path of the cluster file, or undefined for `--host` runs. */
  sourceFile?: string;
  /** `.k8sprep/<name>` beside the cluster file (or in the working directory). */
  stateDir: string;
  kubernetes: {
    version: KubernetesVersion;
    imageRepository: string;
    podSubnet: string;
    serviceSubnet: string;
    dnsDomain: string;
    proxyMode: ProxyMode;
    cni: Cni;
    /** Pins the CNI manifest's URL and sha256 (air-gapped sites, tests). */
    cniManifest?: { url: string; sha256: string };
  };
  /** As written in the file; absent for single-control-plane clusters without one. */
  controlPlaneEndpoint?: { host: string; port: number; loadBalancer: LoadBalancer; virtualRouterId?: number };
  /** Where kubeconfigs and joins point: the configured endpoint, else the first control plane:6443. */
  apiEndpoint: { host: string; port: number };
  /** The virtual IP kube-vip or keepalived holds; absent with an external load balancer or no endpoint. */
  vip?: string;
  mirrors: {
    packages: 'aliyun' | 'upstream';
    /** upstream registry -> mirror URLs, for containerd hosts.toml */
    registries: Record<string, string[]>;
    /** Base URL laid out like https://dl.k8s.io (no trailing slash), for the release binaries. */
    binaries: string;
    /** Prefix for manifest downloads: `<prefix>/<upstream host>/<path>`. */
    manifests?: string;
  };
  firewall: 'open-ports' | 'disable';
  /** The cluster file's overrides; null removes a built-in key. */
  sysctl: Record<string, string | number | null>;
  certificates: {
    keyAlgorithm: KeyAlgorithm;
    keyBits: 2048 | 3072 | 4096;
    caValidityHours: number;
    certValidityHours: number;
  };
  hosts: Host[];
  controlPlanes: Host[];
  workers: Host[];
  firstControlPlane: Host;
  /** First address of serviceSubnet + 1, e.g. 10.96.0.1 (the `kubernetes` service). */
  firstServiceIp: string;
}
