/**
 * Which Kubernetes versions k8sprep supports, per OS (DESIGN §4 "CentOS 7 limits", §6).
 * The newest minor is the newest one whose image set k8sprep knows (src/cluster/images.ts).
 */
import type { KubernetesVersion, OsId } from './types.js';

export const MIN_MINOR = 28;
export const MAX_KNOWN_MINOR = 35;
/** CentOS 7: kernel 3.10 + cgroup v1; the kubelet refuses cgroup v1 from 1.35. */
export const CENTOS7_MAX_MINOR = 34;
/** kube-proxy's nftables mode: beta (and so usable without a feature gate) from 1.31; it needs kernel 5.13+. */
const NFTABLES_MIN_MINOR = 31;
export const NFTABLES_MIN_KERNEL = '5.13';

export function parseVersion(full: string): KubernetesVersion {
  const [major = 0, minor = 0, patch = 0] = full.split('.').map(Number);
  return { full, major, minor, patch, minorString: `${major}.${minor}` };
}

/** Why `version` cannot run on `os`, or undefined when it can. */
export function versionProblem(v: KubernetesVersion, os: OsId | undefined): string | undefined {
  if (v.major !== 1 || v.minor < MIN_MINOR) {
    return `Kubernetes ${v.full} is not supported (k8sprep supports 1.${MIN_MINOR} and newer)`;
  }
  if (v.minor > MAX_KNOWN_MINOR) {
    return `Kubernetes ${v.full} is newer than this k8sprep release knows (up to 1.${MAX_KNOWN_MINOR}): its image versions are unknown`;
  }
  if (os === 'centos7' && v.minor > CENTOS7_MAX_MINOR) {
    return `Kubernetes ${v.full} cannot run on CentOS 7: from 1.35 the kubelet refuses cgroup v1, and CentOS 7's 3.10 kernel has only cgroup v1 (use 1.${CENTOS7_MAX_MINOR} or older, or another OS)`;
  }
  return undefined;
}

/** kubeadm 1.32-1.34 preflight rejects CentOS 7's 3.10 kernel; the check is safe to skip there. */
export function needsSystemVerificationIgnored(v: KubernetesVersion, os: OsId): boolean {
  return os === 'centos7' && v.minor >= 32 && v.minor <= CENTOS7_MAX_MINOR;
}

/** Why kube-proxy's nftables mode cannot run with Kubernetes `v`, or undefined when it can. */
export function nftablesVersionProblem(v: KubernetesVersion): string | undefined {
  if (v.minor >= NFTABLES_MIN_MINOR) return undefined;
  return `nftables needs Kubernetes 1.${NFTABLES_MIN_MINOR} or newer (where kube-proxy's nftables mode is beta); kubernetes.version is ${v.full} (use ipvs or iptables)`;
}

/** Why kube-proxy's nftables mode cannot run on `os`'s kernel, or undefined when it can. */
export function nftablesKernelProblem(os: OsId): string | undefined {
  if (os !== 'centos7') return undefined;
  return `proxyMode nftables cannot run on CentOS 7: kube-proxy's nftables mode needs kernel ${NFTABLES_MIN_KERNEL} or newer, and CentOS 7 has 3.10 (use ipvs or iptables, or another OS)`;
}
