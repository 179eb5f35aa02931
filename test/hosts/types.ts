/** The test-host harness's public types (see index.ts and README.md). */

/** The distributions the stand-ins and catalogs model. */
export type TestHostOs = 'centos7' | 'arch';

export interface TestHostSpec {
  /** Hostname, and the name in the fleet (unique; DNS-1123 label). */
  name: string;
  /** Which stand-ins, catalog, files and state the host gets. */
  os: TestHostOs;
  /**
   * What /etc/os-release says, when it should not match `os` (refusal tests): e.g.
   * `{ id: 'centos', versionId: '8' }` or `{ id: 'ubuntu', versionId: '22.04' }`.
   */
  identity?: { id: string; versionId?: string; prettyName?: string };
  /** `uname -r` (and the /lib/modules directory): default per os. */
  kernel?: string;
  /** The admin user's sudo rule: NOPASSWD (default) or password required. */
  sudo?: 'nopasswd' | 'password';
  /** Arch: the kubeadm/kubelet/kubectl version pacman's repo offers (default 1.34.2). */
  archRepoKubeVersion?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A file's mode (permission bits, e.g. 0o644), owner and size, as the host sees it. */
export interface HostStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'other';
}

export interface BlockHandle {
  /** Resolves once a call of the stand-in is waiting (rejects after timeoutMs, default 10 s). */
  waitUntilBlocked(timeoutMs?: number): Promise<void>;
  /** Lets the waiting call (and later ones) continue. */
  release(): Promise<void>;
}

export interface TestHost {
  name: string;
  /** Its loopback address, reachable from the test process and from every other host. */
  address: string;
  os: TestHostOs;
  /**
   * The host's init (PID 1 of its pid namespace) as this machine sees it: /proc/<initPid>/root
   * is the host's /, `nsenter -t <initPid> -a` enters it (debugging).
   */
  readonly initPid: number;
  /** `<address> ssh-ed25519 AAAA...`: the host's line in the fleet's known_hosts. */
  hostKeyLine: string;
  /** Reads a file inside the host (symlinks resolved inside the host). */
  readFile(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  /** Follows symlinks, like stat(2); `lstat: true` does not. */
  stat(path: string, opts?: { lstat?: boolean }): Promise<HostStat>;
  /**
   * Runs argv inside the host (its namespaces and root) as root, with PATH of a login shell;
   * killed after timeoutMs (default 60 s; then code 128).
   */
  exec(argv: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** Every stand-in call so far, oldest first: [name, ...args]. */
  calls(): Promise<string[][]>;
  /**
   * SSH logins the host's sshd accepted so far (its "Accepted ..." log lines): a command that
   * must contact nothing leaves the count of every host as it was.
   */
  logins(): Promise<number>;
  /**
   * Every file, directory, symlink and deletion the host's overlay holds (what changed since
   * / was copied, host start included), optionally only under `paths`: path -> description
   * ("file 0644 0:0 sha256:..." / "dir 0755 0:0" / "symlink -> target" / "deleted").
   * Compare two snapshots to assert a run changed nothing.
   */
  fileSnapshot(paths?: readonly string[]): Promise<Map<string, string>>;
  /**
   * 'package-install': installing `target` (yum or pacman) fails with `message`.
   * 'command': every call of stand-in `target` prints `message` and exits 1.
   */
  injectFailure(kind: 'package-install' | 'command', target: string, message: string): Promise<void>;
  /** Removes every injected failure. */
  clearFailures(): Promise<void>;
  /** Makes every call of stand-in `standIn` wait (after recording itself) until released. */
  block(standIn: string): Promise<BlockHandle>;
  /** Kills sshd and every process of the host (sessions, their scripts) except its init. */
  stopSshd(): Promise<void>;
  /**
   * Kills only sshd (the daemon and the sessions' sshd processes): the sessions' connections
   * drop, the programs they started live on (unless they die of the closed pipes), as when a
   * network connection is lost.
   */
  dropSshd(): Promise<void>;
  /** Starts sshd again after stopSshd or dropSshd (same keys, same files). */
  startSshd(): Promise<void>;
}

export interface ClusterYamlOptions {
  /** metadata.name (default "test"). */
  name?: string;
  /** spec.kubernetes.version, e.g. "1.30.6". */
  version: string;
  /** Merged into spec (a key set to undefined is removed). */
  spec?: Record<string, unknown>;
  /** Per host name: merged into that host's entry (default entry: name, address, roles, os). */
  hosts?: Record<string, Record<string, unknown>>;
  /** Host names in the file (default: every host, fleet order). */
  only?: readonly string[];
}

export interface TestFleet {
  hosts: TestHost[];
  /**
   * The cluster the hosts' Kubernetes stand-ins share (README "The shared cluster"); throws
   * unless the fleet was started with `sharedCluster: true`.
   */
  readonly cluster: TestCluster;
  host(name: string): TestHost;
  /** A HOME: .ssh/id_ed25519(.pub) authorized for root and admin everywhere, .ssh/known_hosts. */
  home: string;
  /** The admin user's password (and sudo password when sudo: 'password'). */
  password: string;
  /** The fleet's subnet, e.g. 127.77.0.0/24; its first address is the test process's side. */
  subnet: string;
  /** A cluster file for the fleet: first host control-plane, the rest workers, os declared. */
  clusterYaml(opts: ClusterYamlOptions): string;
  /** Kills every process of the fleet and removes its links and files. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Subnet inside 127.0.0.0/8 (default: the first free 127.77.N.0/24). Refused when an address
   * in it is already in use on this machine.
   */
  subnet?: string;
  /**
   * One cluster for every host: a directory of the run dir bind-mounted at
   * /var/lib/k8sprep-testcluster in each (default: each host its own, in its overlay).
   */
  sharedCluster?: boolean;
  /** Per-host start timeout (default 20 s). */
  timeoutMs?: number;
}

/** A taint as the Node API shows it. */
export interface ClusterTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface ClusterNode {
  name: string;
  /** The host that registered it (hostname). */
  host: string;
  address: string;
  /** ['control-plane'] or []. */
  roles: string[];
  /** The taints it registered with (nodeRegistration.taints, or kubeadm's default). */
  taints: ClusterTaint[];
  /** ...plus those the controllers add: node.kubernetes.io/not-ready, unreachable, unschedulable. */
  effectiveTaints: ClusterTaint[];
  cordoned: boolean;
  /** Its kubelet runs (false after kubeadm reset on its host). */
  kubelet: boolean;
  kubeletVersion: string;
  /** Seconds since the epoch. */
  created: number;
  ready: 'True' | 'False' | 'Unknown';
  /** [type, status, reason, message] as kubectl's jsonpath prints them. */
  conditions: [string, string, string, string][];
}

export interface EtcdMember {
  /** Hex, as etcdctl prints it. */
  id: string;
  name: string;
  peerURL: string;
  clientURL: string;
  started: boolean;
}

export interface BootstrapToken {
  id: string;
  secret: string;
  /** Seconds since the epoch; null: never. */
  expires: number | null;
  usages: string[];
  groups: string[];
  description: string;
  /** Not expired (expired tokens are gone from `kubeadm token list` and refused by join). */
  live: boolean;
}

export interface AppliedObject {
  group: string;
  kind: string;
  namespace: string | null;
  name: string;
  sha256: string;
  /** The file given to kubectl apply, on `host`. */
  file: string;
  /** Where the shared cluster keeps a copy of that file (this machine's path under the run dir's cluster/). */
  copy: string;
  host: string;
  at: string;
}

export interface ClusterState {
  cluster: {
    initialized: boolean;
    /** The host whose kubeadm init made it. */
    by?: string;
    at?: string;
    caCert?: string;
    /** sha256:<hex> of the CA's SubjectPublicKeyInfo (kubeadm's discovery hash). */
    caCertHash?: string;
    /** The endpoint in use (controlPlaneEndpoint, else the first control plane's address:port). */
    endpoint?: string;
    controlPlaneEndpoint?: string;
    kubernetesVersion?: string;
    imageRepository?: string;
    podSubnet?: string;
    serviceSubnet?: string;
    dnsDomain?: string;
    certSANs?: string[];
  };
  nodes: ClusterNode[];
  members: EtcdMember[];
  tokens: BootstrapToken[];
  applied: AppliedObject[];
  /** The CNI a `kubectl apply` installed, with the pod CIDR its manifest carries (null: none set). */
  cni: { name: 'calico' | 'flannel'; podCidr: string | null; daemonSet: string; file: string; host: string; at: string } | null;
  /** VIP -> the host holding it (kube-vip's lease, or keepalived's MASTER). */
  vips: Record<string, string>;
  faults: { failJoin: Record<string, string>; neverReady: string[]; keepEtcdMember: string[] };
  latency: Latency;
}

/** One line of the cluster log: a kubeadm init, join or reset starting or ending on a host. */
export interface ClusterLogEntry {
  /** RFC 3339 UTC with milliseconds; lines are in the order the events happened. */
  time: string;
  host: string;
  op: 'init' | 'join' | 'reset';
  event: 'start' | 'end';
  result?: 'ok' | 'failed';
  /** kubeadm's error text, when failed. */
  error?: string;
  /**
   * What the run found (end lines), e.g. caFiles {"ca.crt": true, ...}, kubeletConfPreplaced,
   * bootstrapKubeletConfPreplaced, caCertHashes, caCertHashMatched, token (the ID only),
   * tokenValid, leaves {apiserver: "existing" | "generated"}, kubeconfigs, preflight (failed
   * check names, ignored ones included), apiCheck, etcdMemberRemoved, injected.
   */
  checks?: Record<string, unknown>;
}

/** Seconds the stand-ins sleep: init (before its api-check), join (the TLS bootstrap of a worker, the etcd wait of a control plane), pull (per image). */
export interface Latency {
  init?: number;
  join?: number;
  pull?: number;
}

export interface TestCluster {
  /** The directory on this machine (the hosts see it at /var/lib/k8sprep-testcluster). */
  readonly dir: string;
  /** Everything, as the API would show it (Node conditions and taints computed). */
  state(): Promise<ClusterState>;
  /** The kubeadm init/join/reset log, oldest first. */
  log(): ClusterLogEntry[];
  /** Moves a bootstrap token's expiry (default: a second ago); the token or its ID. */
  expireToken(token: string, at?: Date): Promise<void>;
  /**
   * The host's next `kubeadm join` dies halfway: kubelet.conf written and the kubelet started,
   * then exit 1 before the Node registers (once).
   */
  failJoin(host: string, how: 'halfway'): Promise<void>;
  /** The node never becomes Ready (its CNI never comes up). */
  neverReady(node: string): Promise<void>;
  /** kubeadm reset on that node does not remove its etcd member (the API could not be reached). */
  keepEtcdMember(node: string): Promise<void>;
  clearFaults(): Promise<void>;
  setLatency(latency: Latency): Promise<void>;
}
