/**
 * `config init`'s answers and the cluster-file object they make. Every answer is checked
 * as it is given by validating the whole object with `validateClusterObject` — the same
 * schema and cross-field rules as `config validate` — with placeholders standing in for
 * what has not been asked yet, and keeping only the problems at the field just answered.
 */
import { validateClusterObject } from '../../cluster/load.js';
import { formatPath } from '../../cluster/locate.js';
import { newestKnownVersion } from '../../cluster/images.js';
import type { Cni, LoadBalancer, OsId, Role } from '../../cluster/types.js';
import { CENTOS7_MAX_MINOR, MAX_KNOWN_MINOR, MIN_MINOR } from '../../cluster/versions.js';
import { InputError, type InputProblem } from '../../errors.js';

export interface HostAnswer {
  name?: string;
  address?: string;
  roles?: Role[];
  /** Absent: read from /etc/os-release over SSH at run time. */
  os?: OsId;
}

export interface EndpointAnswer {
  loadBalancer: LoadBalancer;
  host?: string;
  port: number;
}

export type MirrorChoice = 'aliyun' | 'upstream';

/** What `config init` asks; partial while the questions are being answered. */
export interface InitAnswers {
  name?: string;
  version?: string;
  hosts: HostAnswer[];
  endpoint?: EndpointAnswer;
  cni: Cni;
  mirrors: MirrorChoice;
  sshUser: string;
  sshKey?: string;
}

/** The newest version every supported OS runs: the default answer. */
export const DEFAULT_VERSION = newestKnownVersion(CENTOS7_MAX_MINOR) ?? `1.${CENTOS7_MAX_MINOR}.0`;

export const VERSION_RANGES = `CentOS 7: 1.${MIN_MINOR}-1.${CENTOS7_MAX_MINOR}, Arch: 1.${MIN_MINOR}-1.${MAX_KNOWN_MINOR}`;

/** kube-vip's VIP answers on the apiservers' own port; haproxy shares the hosts with them, so it cannot. */
export const ENDPOINT_PORT: Record<LoadBalancer, number> = { 'kube-vip': 6443, 'keepalived-haproxy': 8443, external: 6443 };

/** Images outside imageRepository (kube-vip, flannel, calico, haproxy) through mirrors reachable from China. */
export const CHINA_REGISTRY_MIRRORS: Record<string, string> = {
  'docker.io': 'https://docker.m.daocloud.io',
  'ghcr.io': 'https://ghcr.m.daocloud.io',
  'quay.io': 'https://quay.m.daocloud.io',
};
export const CHINA_BINARY_MIRROR = 'https://files.m.daocloud.io/dl.k8s.io';
export const ALIYUN_IMAGE_REPOSITORY = 'registry.aliyuncs.com/google_containers';
export const UPSTREAM_IMAGE_REPOSITORY = 'registry.k8s.io';

export function controlPlaneCount(a: InitAnswers): number {
  return a.hosts.filter((h) => h.roles?.includes('control-plane')).length;
}

/** The cluster-file object for `a`; with `placeholders`, valid stand-ins for what is still unanswered. */
export function clusterObject(a: InitAnswers, placeholders = false): Record<string, unknown> {
  const hosts = a.hosts.map((h, i) => ({
    name: h.name ?? (placeholders ? `draft-${i}` : undefined),
    address: h.address ?? (placeholders ? `draft-${i}.invalid` : undefined),
    roles: h.roles ?? (placeholders ? ['worker'] : undefined),
    ...(h.os ? { os: h.os } : {}),
  }));
  if (hosts.length === 0 && placeholders) hosts.push({ name: 'draft', address: 'draft.invalid', roles: ['control-plane'] });
  const aliyun = a.mirrors === 'aliyun';
  return {
    apiVersion: 'k8sprep.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: a.name ?? (placeholders ? 'draft' : undefined) },
    spec: {
      kubernetes: {
        version: a.version ?? (placeholders ? DEFAULT_VERSION : undefined),
        imageRepository: aliyun ? ALIYUN_IMAGE_REPOSITORY : UPSTREAM_IMAGE_REPOSITORY,
        cni: a.cni,
      },
      ...(a.endpoint
        ? {
            controlPlaneEndpoint: {
              host: a.endpoint.host ?? (placeholders ? '192.0.2.1' : undefined),
              port: a.endpoint.port,
              loadBalancer: a.endpoint.loadBalancer,
            },
          }
        : {}),
      mirrors: {
        packages: a.mirrors,
        ...(aliyun
          ? { registries: Object.fromEntries(Object.entries(CHINA_REGISTRY_MIRRORS).map(([r, url]) => [r, [url]])), binaries: CHINA_BINARY_MIRROR }
          : {}),
      },
      ssh: { user: a.sshUser, ...(a.sshKey ? { identityFile: a.sshKey } : {}) },
      hosts,
    },
  };
}

/** Every problem `config validate` would report for these answers, by field path (`spec.hosts[0].address`). */
export function answerProblems(a: InitAnswers, placeholders: boolean): InputProblem[] {
  try {
    validateClusterObject(clusterObject(a, placeholders), (problems) => problems.map((p) => ({ path: formatPath(p.path), reason: p.reason })));
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
}

/**
 * For a prompt's `validate`: true, or why the answer at `path` (e.g. `spec.hosts[1].address`,
 * or a prefix such as `spec.controlPlaneEndpoint`) is refused.
 */
export function checkAnswer(a: InitAnswers, path: string): true | string {
  const mine = answerProblems(a, true).find((p) => p.path !== undefined && (p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`)));
  if (!mine) return true;
  return mine.path === path ? mine.reason : `${mine.path}: ${mine.reason}`;
}
