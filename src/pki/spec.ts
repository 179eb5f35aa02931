/**
 * What kubeadm would put in every certificate, as data (DESIGN §4 "PKI" table): which CA
 * signs it, subject, extended key usages, SANs; and the kubeconfigs with their server
 * URLs. Pure functions of the Cluster and the node: generation, inspection and (later)
 * renewal all compare against these specs, so there is one table to keep right.
 */
import { isIP } from 'node:net';
import { APISERVER_PORT } from '../cluster/endpoint.js';
import { hostPort } from '../cluster/net.js';
import type { Cluster, Host } from '../cluster/types.js';
import { normalizeIp } from './names.js';

export type CaId = 'ca' | 'front-proxy-ca' | 'etcd-ca';
/** Extended key usage by name (`serverAuth`, `clientAuth`), or a dotted OID for anything else. */
export type Eku = string;

export interface Subject {
  cn: string;
  /** Organizations in order (Kubernetes reads them as groups). */
  o: string[];
}

export interface Sans {
  dns: string[];
  /** Canonical text (RFC 5952 for IPv6), so equal addresses compare equal. */
  ips: string[];
}

/** The fields a certificate must carry; an existing certificate "matches" when these agree. */
export interface CertSpec {
  subject: Subject;
  eku: Eku[];
  sans: Sans;
}

export interface CaSpec {
  id: CaId;
  /** Path under pki/ without extension: `ca`, `front-proxy-ca`, `etcd/ca`. */
  base: string;
  cn: string;
}

/** The three kubeadm CAs; the first is the cluster CA (`ca`) that also signs kubeconfigs. */
export const CA_SPECS: readonly CaSpec[] = [
  { id: 'ca', base: 'ca', cn: 'kubernetes' },
  { id: 'front-proxy-ca', base: 'front-proxy-ca', cn: 'front-proxy-ca' },
  { id: 'etcd-ca', base: 'etcd/ca', cn: 'etcd-ca' },
];

export function caSpec(id: CaId): CaSpec {
  const spec = CA_SPECS.find((c) => c.id === id);
  if (!spec) throw new Error(`unknown CA ${id}`);
  return spec;
}

/** kubeadm's CA certificates carry a DNS SAN equal to their CN and no EKU. */
export function caCertSpec(ca: CaSpec): CertSpec {
  return { subject: { cn: ca.cn, o: [] }, eku: [], sans: { dns: [ca.cn], ips: [] } };
}

export interface LeafSpec extends CertSpec {
  /** kubeadm's name in `certs check-expiration`: `apiserver`, `etcd-server`, ... */
  name: string;
  /** Path under pki/ without extension: `apiserver`, `etcd/server`, ... */
  base: string;
  ca: CaId;
}

export interface KubeconfigSpec {
  /** File name beside pki/: `admin.conf`, ... (also the name in the check table). */
  file: string;
  /** User (and context `<user>@kubernetes`) name in the kubeconfig. */
  user: string;
  /** `https://host:port`, IPv6 bracketed. */
  server: string;
  /** The client certificate, always signed by `ca`. */
  cert: CertSpec;
}

/** kubeadm's cluster name inside every kubeconfig. */
export const KUBECONFIG_CLUSTER = 'kubernetes';
export { APISERVER_PORT };

/** 1.29 moved admin.conf (and apiserver-kubelet-client) from system:masters to kubeadm:cluster-admins. */
function clusterAdminsGroup(cluster: Cluster): string {
  const v = cluster.kubernetes.version;
  return v.major > 1 || v.minor >= 29 ? 'kubeadm:cluster-admins' : 'system:masters';
}

function hasSuperAdmin(cluster: Cluster, host: Host): boolean {
  const v = cluster.kubernetes.version;
  return (v.major > 1 || v.minor >= 29) && host.name === cluster.firstControlPlane.name;
}

/** The node's advertise address (kubeadm's localAPIEndpoint) when its address is an IP. */
export function advertiseAddress(host: Host): string | undefined {
  return isIP(host.address) ? host.address : undefined;
}

/**
 * Where this node's own apiserver is reached: its IP, else its DNS address; `local` (the
 * local transport) has no usable address, so the node name (always a SAN) stands in.
 */
export function nodeApiHost(host: Host): string {
  if (host.address === 'local') return host.name;
  return host.address;
}

export function httpsUrl(host: string, port: number): string {
  return `https://${hostPort(host, port)}`;
}

function uniqueSans(dns: string[], ips: string[]): Sans {
  return { dns: [...new Set(dns)], ips: [...new Set(ips.map(normalizeIp))] };
}

/** Splits host names from IPs, so one list of "names this server answers to" becomes SANs. */
function sansOf(names: (string | undefined)[]): Sans {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of names) {
    if (n === undefined || n === 'local') continue;
    (isIP(n) ? ips : dns).push(n);
  }
  return uniqueSans(dns, ips);
}

const SERVER_AND_CLIENT: Eku[] = ['serverAuth', 'clientAuth'];

/**
 * The node's seven leaves, in kubeadm's order. SAN order follows kubeadm (node name, the
 * kubernetes service names, endpoint; IPs: service IP, advertise address, endpoint), but
 * matching compares them as sets.
 */
export function nodeLeafSpecs(cluster: Cluster, host: Host): LeafSpec[] {
  const node = host.name;
  const advertise = advertiseAddress(host);
  const endpoint = cluster.apiEndpoint.host;
  const domain = cluster.kubernetes.dnsDomain;
  const apiserverNames = [
    node,
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    cluster.firstServiceIp,
    advertise ?? host.address,
    endpoint,
    // The VIP when the endpoint is a name, and so every entry of the kubeadm config's apiServer.certSANs.
    cluster.vip,
  ];
  const etcdSans = sansOf([node, 'localhost', advertise ?? host.address, '127.0.0.1', '::1']);
  const none: Sans = { dns: [], ips: [] };
  const leaf = (name: string, base: string, ca: CaId, cn: string, o: string[], eku: Eku[], sans: Sans): LeafSpec => ({
    name,
    base,
    ca,
    subject: { cn, o },
    eku,
    sans,
  });
  return [
    leaf('apiserver', 'apiserver', 'ca', 'kube-apiserver', [], ['serverAuth'], sansOf(apiserverNames)),
    leaf('apiserver-kubelet-client', 'apiserver-kubelet-client', 'ca', 'kube-apiserver-kubelet-client', [clusterAdminsGroup(cluster)], ['clientAuth'], none),
    leaf('front-proxy-client', 'front-proxy-client', 'front-proxy-ca', 'front-proxy-client', [], ['clientAuth'], none),
    leaf('etcd-server', 'etcd/server', 'etcd-ca', node, [], SERVER_AND_CLIENT, etcdSans),
    leaf('etcd-peer', 'etcd/peer', 'etcd-ca', node, [], SERVER_AND_CLIENT, etcdSans),
    leaf('etcd-healthcheck-client', 'etcd/healthcheck-client', 'etcd-ca', 'kube-etcd-healthcheck-client', [], ['clientAuth'], none),
    leaf('apiserver-etcd-client', 'apiserver-etcd-client', 'etcd-ca', 'kube-apiserver-etcd-client', [], ['clientAuth'], none),
  ];
}

/**
 * The kubeconfigs k8sprep makes for a control plane. controller-manager and scheduler talk to
 * their own node's apiserver (kubeadm's localAPIEndpoint); admin and super-admin use the
 * cluster endpoint. super-admin.conf exists only on the first control plane, from 1.29.
 * Never kubelet.conf: kubeadm join refuses a node that has one, and the kubelet gets its own
 * (kubeadm init writes it, joins bootstrap it by TLS); see `kubeletKubeconfigSpec`.
 */
export function nodeKubeconfigSpecs(cluster: Cluster, host: Host): KubeconfigSpec[] {
  const endpoint = httpsUrl(cluster.apiEndpoint.host, cluster.apiEndpoint.port);
  const own = httpsUrl(nodeApiHost(host), APISERVER_PORT);
  const client = (cn: string, o: string[]): CertSpec => ({ subject: { cn, o }, eku: ['clientAuth'], sans: { dns: [], ips: [] } });
  const specs: KubeconfigSpec[] = [
    { file: 'admin.conf', user: 'kubernetes-admin', server: endpoint, cert: client('kubernetes-admin', [clusterAdminsGroup(cluster)]) },
  ];
  if (hasSuperAdmin(cluster, host)) {
    specs.push({ file: 'super-admin.conf', user: 'kubernetes-super-admin', server: endpoint, cert: client('kubernetes-super-admin', ['system:masters']) });
  }
  specs.push(
    { file: 'controller-manager.conf', user: 'system:kube-controller-manager', server: own, cert: client('system:kube-controller-manager', []) },
    { file: 'scheduler.conf', user: 'system:kube-scheduler', server: own, cert: client('system:kube-scheduler', []) },
  );
  return specs;
}

/** The kubelet.conf kubeadm writes on a node: what a check of a host's /etc/kubernetes expects of it. */
export function kubeletKubeconfigSpec(cluster: Cluster, host: Host): KubeconfigSpec {
  const endpoint = httpsUrl(cluster.apiEndpoint.host, cluster.apiEndpoint.port);
  const user = `system:node:${host.name}`;
  return {
    file: 'kubelet.conf',
    user,
    server: endpoint,
    cert: { subject: { cn: user, o: ['system:nodes'] }, eku: ['clientAuth'], sans: { dns: [], ips: [] } },
  };
}
