/**
 * What the cluster runs besides kubeadm's own images: the CNI release per Kubernetes minor and
 * the load balancers' images, with where each comes from.
 *
 * Calico: the newest patch of the release line whose "Kubernetes requirements" page lists the
 * cluster's minor (tigera/docs calico_versioned_docs/version-3.x requirements; 3.27 tests
 * 1.27–1.29, 3.29 tests 1.29–1.32, 3.30 tests 1.31–1.35, 3.31 tests 1.32–1.35). Up to 3.31 every
 * release's system requirements, as published with it, listed "Linux kernel 3.10 or later" and
 * CentOS 7; the docs were rewritten for every version in Dec 2025 (kernel 5.10), so CentOS 7 is
 * supported as those releases were shipped, not as the docs now read. Images moved from
 * docker.io to quay.io with 3.30 (projectcalico/calico#10025).
 * flannel: v0.28.8 with flannel-cni-plugin v1.9.1-flannel2 (the pair its kube-flannel.yml names);
 * flannel supports "Kubernetes v1.17+" and uses the kernel's own VXLAN (3.10 has it).
 * kube-vip v1.0.1 (kube-vip/helm-charts appVersion); haproxy 2.8 (`http-check connect` needs
 * 2.2+; kubeadm's HA doc was checked with 2.4 and 2.8); keepalived 2.0.20 (the version kubeadm's
 * HA doc names, as osixia/keepalived).
 *
 * Checksums: the manifests are downloaded on the first control plane and their sha256 checked
 * against `sha256` where this table has one; k8sprep ships none it has not verified itself, so
 * the first download is trusted and its checksum recorded in the state dir (said in the summary),
 * and `spec.kubernetes.cniManifest` pins both URL and checksum.
 */
import type { Cluster, KubernetesVersion } from './types.js';

export interface CniRelease {
  cni: 'calico' | 'flannel';
  version: string;
  /** Upstream URL of the manifest (a `mirrors.manifests` prefix goes in front of its host). */
  url: string;
  /** Verified sha256 of the manifest at `url`, when k8sprep has one. */
  sha256?: string;
  images: string[];
  /** Kubernetes minors (1.x) the release is tested with. */
  minors: readonly number[];
}

function calico(version: string, minors: number[], registry: 'docker.io' | 'quay.io'): CniRelease {
  return {
    cni: 'calico',
    version,
    url: `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/calico.yaml`,
    images: ['cni', 'node', 'kube-controllers'].map((c) => `${registry}/calico/${c}:${version}`),
    minors,
  };
}

const FLANNEL: CniRelease = {
  cni: 'flannel',
  version: 'v0.28.8',
  url: 'https://github.com/flannel-io/flannel/releases/download/v0.28.8/kube-flannel.yml',
  images: ['ghcr.io/flannel-io/flannel:v0.28.8', 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel2'],
  minors: [28, 29, 30, 31, 32, 33, 34, 35],
};

/** Per Kubernetes minor, newest tested release first. */
const CALICO: readonly CniRelease[] = [
  calico('v3.31.3', [32, 33, 34, 35], 'quay.io'),
  calico('v3.30.6', [31], 'quay.io'),
  calico('v3.29.4', [29, 30], 'docker.io'),
  calico('v3.27.5', [28], 'docker.io'),
];

/** The CNI release for the cluster's version, or undefined with `cni: none`. */
export function cniRelease(cluster: Pick<Cluster, 'kubernetes'>): CniRelease | undefined {
  const { cni, version } = cluster.kubernetes;
  if (cni === 'none') return undefined;
  const release = cni === 'flannel' ? (FLANNEL.minors.includes(version.minor) ? FLANNEL : undefined) : CALICO.find((r) => r.minors.includes(version.minor));
  if (!release) throw new Error(`no ${cni} release known for Kubernetes ${version.full}`);
  return release;
}

/** Why `cni` cannot run with this Kubernetes version, or undefined (validation reports it). */
export function cniProblem(cni: 'calico' | 'flannel' | 'none', version: KubernetesVersion): string | undefined {
  if (cni === 'none') return undefined;
  const known = cni === 'flannel' ? FLANNEL.minors : CALICO.flatMap((r) => r.minors);
  if (known.includes(version.minor)) return undefined;
  return `no ${cni} release k8sprep knows is tested with Kubernetes ${version.minorString} (it knows ${cni} for 1.${Math.min(...known)}–1.${Math.max(...known)})`;
}

/** Where the manifest is downloaded from: the upstream URL, or `<mirrors.manifests>/<host>/<path>`. */
export function manifestUrl(upstream: string, prefix: string | undefined): string {
  if (!prefix) return upstream;
  const u = new URL(upstream);
  return `${prefix.replace(/\/+$/, '')}/${u.host}${u.pathname}`;
}

export const KUBE_VIP_IMAGE = 'ghcr.io/kube-vip/kube-vip:v1.0.1';
export const HAPROXY_IMAGE = 'docker.io/library/haproxy:2.8';
export const KEEPALIVED_IMAGE = 'docker.io/osixia/keepalived:2.0.20';

/** The images of the load balancer and the CNI: `images list` shows them, prep pulls them. */
export function addonImages(cluster: Pick<Cluster, 'kubernetes' | 'controlPlaneEndpoint'>, role: { isControlPlane: boolean }): string[] {
  const lb = cluster.controlPlaneEndpoint?.loadBalancer;
  const images: string[] = [];
  if (role.isControlPlane && lb === 'kube-vip') images.push(KUBE_VIP_IMAGE);
  if (role.isControlPlane && lb === 'keepalived-haproxy') images.push(HAPROXY_IMAGE, KEEPALIVED_IMAGE);
  images.push(...(cniRelease(cluster)?.images ?? []));
  return images;
}
