/**
 * The validated, defaulted and derived cluster: what every later stage (plan, render,
 * PKI, transports) reads. Produced only by `loadClusterFile` / `loadClusterFromFlags`.
 * The file's enums and shapes come from the zod schema; the derived fields are spelt out.
 */
import type { InputProblem } from '../errors.js';
import type { FieldPath } from './locate.js';
import type { CNIS, ClusterFile, KEY_ALGORITHMS, LOAD_BALANCERS, OS_IDS, PROXY_MODES, ROLES } from './schema.js';
import type { FieldProblem } from './validate.js';

type Spec = ClusterFile['spec'];

export type OsId = (typeof OS_IDS)[number];
export type Role = (typeof ROLES)[number];
export type ProxyMode = (typeof PROXY_MODES)[number];
export type Cni = (typeof CNIS)[number];
export type LoadBalancer = (typeof LOAD_BALANCERS)[number];
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
export type CniManifest = NonNullable<Spec['kubernetes']['cniManifest']>;

/** Identity files are absolute here (`~` expanded). */
export type Bastion = NonNullable<Spec['ssh']['bastion']>;

export interface SshSettings {
  user: string;
  port: number;
  /** Absolute path (`~` expanded). Absent: ssh-agent, then ~/.ssh/config's IdentityFile. */
  identityFile?: string;
  /** Name of the environment variable holding the SSH (and sudo) password. */
  passwordEnv?: string;
  bastion?: Bastion;
}

/** Where a host's effective identity files are written in the cluster file (a host inherits spec.ssh's). */
/** Where a host's effective SSH settings are written in the cluster file: error locations, and what wins over ~/.ssh/config. */
export interface SshOrigins {
  identityFile?: FieldPath;
  bastionIdentityFile?: FieldPath;
  /** Set when the file names the user / port (they win over ~/.ssh/config); absent for the defaults. */
  user?: FieldPath;
  port?: FieldPath;
}

export interface Host {
  name: string;
  /** IPv4 address, DNS name, or `local` for the local transport. */
  address: string;
  roles: Role[];
  /** Declared OS; absent means "detect over SSH". */
  os?: OsId;
  ssh: SshSettings;
  /** Absent only for hosts made outside the loader (tests). */
  sshOrigins?: SshOrigins;
  isControlPlane: boolean;
  isWorker: boolean;
  /** Position in the cluster file's host list. */
  index: number;
  /**
   * A template's host (`node script --role worker`): not in the cluster file; its node name is
   * the machine's hostname and its IPv4 the one it reaches the cluster from, both read when its
   * scripts run (src/steps/bootstrap/host-values.ts). `name` and `address` only label output.
   */
  runtimeIdentity?: true;
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

/** The file's endpoint with its defaults; the VRRP router id only where there is VRRP. */
export type ControlPlaneEndpoint =
  | { loadBalancer: 'kube-vip' | 'external'; host: string; port: number }
  | { loadBalancer: 'keepalived-haproxy'; host: string; port: number; virtualRouterId: number };

/** Turns field problems into located InputProblems (`<file>:<line>:<col>: <path>: <reason>`). */
export type ProblemLocator = (problems: FieldProblem[]) => InputProblem[];

export interface ClusterSource {
  /** Absolute path of the cluster file; absent for `--host` runs. */
  file?: string;
  /** Locates problems found after loading (e.g. a missing identity file) where they are written. */
  locate: ProblemLocator;
}

export interface Cluster {
  name: string;
  /** A field, not a side table: a copy (`{...cluster}`) still locates its problems. */
  source: ClusterSource;
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
    /** Pins the CNI manifest (url, lowercase sha256) instead of the release table's. */
    cniManifest?: CniManifest;
  };
  /** As written in the file, defaults applied; absent for single-control-plane clusters without one. */
  controlPlaneEndpoint?: ControlPlaneEndpoint;
  /** Where kubeconfigs and joins point: the configured endpoint, else the first control plane:6443. */
  apiEndpoint: { host: string; port: number };
  /** The virtual IP kube-vip or keepalived announces (`host`, or `address` when host is a name). */
  vip?: string;
  /** The endpoint's DNS name, when `host` is one: a certificate SAN, and mapped to the VIP in /etc/hosts. */
  endpointName?: string;
  mirrors: {
    packages: Spec['mirrors']['packages'];
    /** upstream registry -> mirror URLs, for containerd hosts.toml */
    registries: Record<string, string[]>;
    /** Base URL laid out like https://dl.k8s.io (no trailing slash), for the release binaries. */
    binaries: string;
    /** Prefix (no trailing slash) for CNI manifest downloads: `<prefix>/<upstream host>/<path>`. */
    manifests?: string;
  };
  firewall: Spec['firewall'];
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
