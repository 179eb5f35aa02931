/** Cross-field rules the schema cannot express (DESIGN §2). Pure: returns every problem. */
import { isIP } from 'node:net';
import { type EndpointInput, endpointProblems } from './endpoint.js';
import type { FieldPath } from './locate.js';
import { addressKey, type Cidr, cidrContains, cidrsOverlap, parseCidr } from './net.js';
import { ipv6NotSupported } from './shapes.js';
import type { OsId } from './types.js';
import { cniProblem } from './addons.js';
import { nftablesKernelProblem, nftablesVersionProblem, parseVersion, versionProblem } from './versions.js';

export interface FieldProblem {
  path: FieldPath;
  reason: string;
  /** Point at the key rather than the value. */
  atKey?: boolean;
  /** Where to point in the file when that differs from `path` (e.g. an inherited default). */
  locateAt?: FieldPath;
}

/**
 * What the cross-field rules read. A schema-valid ClusterFile is one; when the schema
 * failed, `salvageCrossFieldInput` builds one from the values that passed their own
 * schema, so every problem is reported in one go. Absent = unknown: rules that need it
 * are skipped.
 */
export interface CrossFieldInput {
  spec: {
    kubernetes?: { version?: string; podSubnet?: string; serviceSubnet?: string; proxyMode?: string; cni?: string; cniManifest?: unknown };
    /** Present (possibly with unknown fields) when the file has one. */
    controlPlaneEndpoint?: EndpointInput;
    hosts?: readonly { name?: string; address?: string; roles?: readonly string[]; os?: OsId }[];
  };
}

const K8S: FieldPath = ['spec', 'kubernetes'];

function subnetsOf(k8s: NonNullable<CrossFieldInput['spec']['kubernetes']>, problems: FieldProblem[]): { name: string; cidr: Cidr; path: FieldPath }[] {
  const subnets: { name: string; cidr: Cidr; path: FieldPath }[] = [];
  for (const key of ['podSubnet', 'serviceSubnet'] as const) {
    const path = [...K8S, key];
    const text = k8s[key];
    if (text === undefined) continue;
    const parsed = parseCidr(text);
    if (typeof parsed === 'string') problems.push({ path, reason: parsed });
    else if (parsed.family === 6) problems.push({ path, reason: ipv6NotSupported(text, 'an IPv4 CIDR') });
    else subnets.push({ name: key, cidr: parsed, path });
  }
  const pod = subnets.find((s) => s.name === 'podSubnet');
  const svc = subnets.find((s) => s.name === 'serviceSubnet');
  if (pod && svc && cidrsOverlap(pod.cidr, svc.cidr)) {
    problems.push({ path: svc.path, reason: `${svc.cidr.text} overlaps podSubnet ${pod.cidr.text}` });
  }
  if (svc && svc.cidr.bits - svc.cidr.prefix < 2) {
    problems.push({ path: svc.path, reason: `${svc.cidr.text} is too small for services` });
  }
  return subnets;
}

export function crossFieldProblems(file: CrossFieldInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const spec = file.spec;
  const k8s = spec.kubernetes ?? {};
  const version = k8s.version === undefined ? undefined : parseVersion(k8s.version);
  const hosts = spec.hosts ?? [];
  const subnets = subnetsOf(k8s, problems);

  // Reported once, at the version; a host's `os` only for what is specific to that OS.
  const generic = version ? versionProblem(version, undefined) : undefined;
  if (generic) problems.push({ path: [...K8S, 'version'], reason: generic });
  const nftables = k8s.proxyMode === 'nftables';
  const nftablesTooOld = nftables && version && !generic ? nftablesVersionProblem(version) : undefined;
  if (nftablesTooOld) problems.push({ path: [...K8S, 'proxyMode'], reason: nftablesTooOld });
  if (k8s.cniManifest !== undefined && k8s.cni === 'none') {
    problems.push({ path: [...K8S, 'cniManifest'], reason: 'is only for cni calico or flannel; cni is none (k8sprep applies no CNI)' });
  }
  // Calico is the default CNI; a pinned manifest (cniManifest) is the operator's choice of release.
  const cni = k8s.cni ?? 'calico';
  const cniRefused =
    version && !generic && k8s.cniManifest === undefined && (cni === 'calico' || cni === 'flannel' || cni === 'none') ? cniProblem(cni, version) : undefined;
  if (cniRefused) problems.push({ path: [...K8S, k8s.cni === undefined ? 'version' : 'cni'], reason: cniRefused });

  const seenNames = new Map<string, number>();
  const seenAddresses = new Map<string, number>();
  hosts.forEach((host, i) => {
    const base = ['spec', 'hosts', i];
    if (host.name !== undefined) {
      const firstName = seenNames.get(host.name);
      if (firstName !== undefined) {
        problems.push({ path: [...base, 'name'], reason: `duplicate host name ${JSON.stringify(host.name)} (also spec.hosts[${firstName}])` });
      } else seenNames.set(host.name, i);
    }
    // `local` twice has its own message below.
    if (host.address !== undefined && host.address !== 'local') {
      const key = addressKey(host.address);
      const firstAddress = seenAddresses.get(key);
      if (firstAddress !== undefined) {
        problems.push({ path: [...base, 'address'], reason: `duplicate address ${JSON.stringify(host.address)} (also spec.hosts[${firstAddress}])` });
      } else seenAddresses.set(key, i);
      for (const s of subnets) {
        if (isIP(host.address) && cidrContains(s.cidr, host.address)) {
          problems.push({ path: [...base, 'address'], reason: `${host.address} lies inside ${s.name} ${s.cidr.text}` });
        }
      }
    }
    if (host.roles && new Set(host.roles).size !== host.roles.length) {
      problems.push({ path: [...base, 'roles'], reason: 'lists a role twice' });
    }
    const osProblems = [
      version && host.os && !generic ? versionProblem(version, host.os) : undefined,
      nftables && host.os ? nftablesKernelProblem(host.os) : undefined,
    ];
    for (const reason of osProblems) if (reason) problems.push({ path: [...base, 'os'], reason });
  });

  const rolesKnown = spec.hosts !== undefined && hosts.every((h) => h.roles !== undefined);
  const controlPlanes = hosts.filter((h) => h.roles?.includes('control-plane'));
  if (rolesKnown && hosts.length > 0 && controlPlanes.length === 0) {
    problems.push({ path: ['spec', 'hosts'], reason: 'needs at least one host with the control-plane role' });
  }
  const endpoint = spec.controlPlaneEndpoint;
  if (controlPlanes.length > 1 && !endpoint) {
    // Pointed at the `spec:` line: the field is missing, so there is no line of its own.
    problems.push({
      path: ['spec', 'controlPlaneEndpoint'],
      locateAt: ['spec'],
      atKey: true,
      reason: `is required with ${controlPlanes.length} control planes (${controlPlanes.map((h) => h.name ?? '?').join(', ')}): a virtual IP or load-balanced name for the API server`,
    });
  }
  if (endpoint) problems.push(...endpointProblems(endpoint, { subnets, hosts, controlPlaneCount: controlPlanes.length }));

  const locals = hosts.map((h, i) => (h.address === 'local' ? i : -1)).filter((i) => i >= 0);
  for (const i of locals.slice(1)) {
    problems.push({ path: ['spec', 'hosts', i, 'address'], reason: 'only one host can be `local`' });
  }
  return problems;
}
