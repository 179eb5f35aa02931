/**
 * The images kubeadm uses for each Kubernetes release (what `kubeadm config images list`
 * prints), so `k8sprep images list` and the containerd sandbox image need no host.
 *
 * Source: kubeadm's cmd/kubeadm/app/constants/constants.go at each release tag (PauseVersion,
 * CoreDNSVersion, SupportedEtcdVersion), as recorded per release by minikube's generated
 * pkg/minikube/constants/constants_kubeadm_images.go (it runs every release's kubeadm), and
 * checked against the release-1.32 constants.go (pause 3.10, CoreDNS v1.11.3, etcd 3.5.24-0
 * for late 1.32 patches). etcd and CoreDNS move within a minor (backported bumps), so each
 * minor lists the patch releases where they changed; a patch newer than the table uses the
 * minor's last row, and `imageTableNote` says so (no tag is invented). On hosts the images
 * step asks the installed kubeadm itself.
 */
import type { KubernetesVersion } from './types.js';

export interface ImageVersions {
  coredns: string;
  etcd: string;
  pause: string;
}

/** Per minor: rows in patch order; a row applies from `fromPatch` until the next row. */
const BY_MINOR: Record<number, readonly (ImageVersions & { fromPatch: number })[]> = {
  28: [
    { fromPatch: 0, coredns: 'v1.10.1', etcd: '3.5.9-0', pause: '3.9' },
    { fromPatch: 6, coredns: 'v1.10.1', etcd: '3.5.10-0', pause: '3.9' },
    { fromPatch: 8, coredns: 'v1.10.1', etcd: '3.5.12-0', pause: '3.9' },
    { fromPatch: 14, coredns: 'v1.10.1', etcd: '3.5.15-0', pause: '3.9' },
  ],
  29: [
    { fromPatch: 0, coredns: 'v1.11.1', etcd: '3.5.10-0', pause: '3.9' },
    { fromPatch: 3, coredns: 'v1.11.1', etcd: '3.5.12-0', pause: '3.9' },
    { fromPatch: 9, coredns: 'v1.11.1', etcd: '3.5.15-0', pause: '3.9' },
    { fromPatch: 11, coredns: 'v1.11.1', etcd: '3.5.16-0', pause: '3.9' },
  ],
  30: [
    { fromPatch: 0, coredns: 'v1.11.1', etcd: '3.5.12-0', pause: '3.9' },
    { fromPatch: 5, coredns: 'v1.11.3', etcd: '3.5.15-0', pause: '3.9' },
  ],
  31: [
    { fromPatch: 0, coredns: 'v1.11.1', etcd: '3.5.15-0', pause: '3.10' },
    { fromPatch: 1, coredns: 'v1.11.3', etcd: '3.5.15-0', pause: '3.10' },
    { fromPatch: 14, coredns: 'v1.11.3', etcd: '3.5.24-0', pause: '3.10' },
  ],
  32: [
    { fromPatch: 0, coredns: 'v1.11.3', etcd: '3.5.16-0', pause: '3.10' },
    { fromPatch: 10, coredns: 'v1.11.3', etcd: '3.5.24-0', pause: '3.10' },
  ],
  33: [
    { fromPatch: 0, coredns: 'v1.12.0', etcd: '3.5.21-0', pause: '3.10' },
    { fromPatch: 6, coredns: 'v1.12.0', etcd: '3.5.24-0', pause: '3.10' },
  ],
  34: [
    { fromPatch: 0, coredns: 'v1.12.1', etcd: '3.6.4-0', pause: '3.10.1' },
    { fromPatch: 2, coredns: 'v1.12.1', etcd: '3.6.5-0', pause: '3.10.1' },
  ],
  35: [{ fromPatch: 0, coredns: 'v1.13.1', etcd: '3.6.6-0', pause: '3.10.1' }],
};

/**
 * Per minor, the newest patch release the table was checked against (a later patch may have
 * moved etcd or CoreDNS; the table cannot know).
 */
const CHECKED_THROUGH: Record<number, number> = { 28: 15, 29: 15, 30: 14, 31: 14, 32: 10, 33: 6, 34: 2, 35: 0 };

/** The newest patch release of `1.<minor>` the table knows (e.g. `1.34.2`), for suggesting a version. */
export function newestKnownVersion(minor: number): string | undefined {
  const patch = CHECKED_THROUGH[minor];
  return patch === undefined ? undefined : `1.${minor}.${patch}`;
}

/**
 * For a patch newer than the table was checked against: a note that the tags shown are the
 * last known ones and may be stale, and where the real list comes from. Undefined otherwise.
 */
export function imageTableNote(v: KubernetesVersion): string | undefined {
  const through = v.major === 1 ? CHECKED_THROUGH[v.minor] : undefined;
  if (through === undefined || v.patch <= through) return undefined;
  const known = `${v.major}.${v.minor}.${through}`;
  return (
    `k8sprep's image table knows Kubernetes ${v.minorString} up to ${known}: the CoreDNS, etcd and pause tags shown for ${v.full} are ${known}'s ` +
    `and may be out of date. Hosts pull what the installed kubeadm itself lists (kubeadm config images list --kubernetes-version ${v.full}).`
  );
}

/** kubeadm's default registry; only there does CoreDNS live one level deeper (coredns/coredns). */
const KUBEADM_DEFAULT_REPOSITORY = 'registry.k8s.io';

export function imageVersions(v: KubernetesVersion): ImageVersions {
  const rows = v.major === 1 ? BY_MINOR[v.minor] : undefined;
  if (!rows) throw new Error(`no image versions known for Kubernetes ${v.full}`);
  let found = rows[0];
  for (const row of rows) if (row.fromPatch <= v.patch) found = row;
  if (!found) throw new Error(`no image versions known for Kubernetes ${v.full}`);
  return { coredns: found.coredns, etcd: found.etcd, pause: found.pause };
}

export interface ClusterImage {
  /** kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, coredns, pause, etcd */
  component: string;
  image: string;
}

/** The images kubeadm pulls, in `kubeadm config images list` order. */
export function kubeadmImages(v: KubernetesVersion, repository: string): ClusterImage[] {
  const { coredns, etcd, pause } = imageVersions(v);
  const corednsRepo = repository === KUBEADM_DEFAULT_REPOSITORY ? `${repository}/coredns` : repository;
  return [
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((c) => ({ component: c, image: `${repository}/${c}:v${v.full}` })),
    { component: 'coredns', image: `${corednsRepo}/coredns:${coredns}` },
    { component: 'pause', image: `${repository}/pause:${pause}` },
    { component: 'etcd', image: `${repository}/etcd:${etcd}` },
  ];
}

/** The sandbox ("pause") image containerd must use so kubeadm and the kubelet agree. */
export function pauseImage(v: KubernetesVersion, repository: string): string {
  return `${repository}/pause:${imageVersions(v).pause}`;
}

/** What a worker runs from this set: the sandbox, kube-proxy, and CoreDNS (scheduled anywhere). */
export const WORKER_COMPONENTS: ReadonlySet<string> = new Set(['kube-proxy', 'coredns', 'pause']);
