/** Cross-field rules the schema cannot express (DESIGN §2). Pure: returns every problem. */
import { isIP } from 'node:net';
import type { FieldPath } from './locate.js';
import { type Cidr, cidrContains, cidrsOverlap, parseCidr } from './net.js';
import type { ClusterFile } from './schema.js';
import { parseVersion, versionProblem } from './versions.js';

export interface FieldProblem {
  path: FieldPath;
  reason: string;
  /** Point at the key rather than the value. */
  atKey?: boolean;
}

export function crossFieldProblems(file: ClusterFile): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const spec = file.spec;
  const k8s = spec.kubernetes;

  const subnets: { name: string; cidr: Cidr; path: FieldPath }[] = [];
  for (const key of ['podSubnet', 'serviceSubnet'] as const) {
    const path = ['spec', 'kubernetes', key];
    const parsed = parseCidr(k8s[key]);
    if (typeof parsed === 'string') problems.push({ path, reason: parsed });
    else subnets.push({ name: key, cidr: parsed, path });
  }
  const [pod, svc] = subnets;
  if (pod && svc && cidrsOverlap(pod.cidr, svc.cidr)) {
    problems.push({ path: svc.path, reason: `${svc.cidr.text} overlaps podSubnet ${pod.cidr.text}` });
  }
  if (svc && svc.cidr.bits - svc.cidr.prefix < 2) {
    problems.push({ path: svc.path, reason: `${svc.cidr.text} is too small for services` });
  }

  const seenNames = new Map<string, number>();
  const seenAddresses = new Map<string, number>();
  spec.hosts.forEach((host, i) => {
    const base = ['spec', 'hosts', i];
    const firstName = seenNames.get(host.name);
    if (firstName !== undefined) {
      problems.push({ path: [...base, 'name'], reason: `duplicate host name ${JSON.stringify(host.name)} (also spec.hosts[${firstName}])` });
    } else seenNames.set(host.name, i);
    const addressKey = host.address.toLowerCase();
    const firstAddress = seenAddresses.get(addressKey);
    if (firstAddress !== undefined) {
      problems.push({ path: [...base, 'address'], reason: `duplicate address ${JSON.stringify(host.address)} (also spec.hosts[${firstAddress}])` });
    } else seenAddresses.set(addressKey, i);
    for (const s of subnets) {
      if (isIP(host.address) && cidrContains(s.cidr, host.address)) {
        problems.push({ path: [...base, 'address'], reason: `${host.address} lies inside ${s.name} ${s.cidr.text}` });
      }
    }
    if (new Set(host.roles).size !== host.roles.length) {
      problems.push({ path: [...base, 'roles'], reason: 'lists a role twice' });
    }
    const why = versionProblem(parseVersion(k8s.version), host.os);
    if (why && host.os) problems.push({ path: [...base, 'os'], reason: why });
  });

  const generic = versionProblem(parseVersion(k8s.version), undefined);
  if (generic) problems.push({ path: ['spec', 'kubernetes', 'version'], reason: generic });

  const controlPlanes = spec.hosts.filter((h) => h.roles.includes('control-plane'));
  if (controlPlanes.length === 0) {
    problems.push({ path: ['spec', 'hosts'], reason: 'needs at least one host with the control-plane role' });
  }
  const endpoint = spec.controlPlaneEndpoint;
  if (controlPlanes.length > 1 && !endpoint) {
    problems.push({
      path: ['spec'],
      reason: `${controlPlanes.length} control planes need spec.controlPlaneEndpoint (a VIP or load-balanced name for the API server)`,
    });
  }
  if (endpoint) {
    const path = ['spec', 'controlPlaneEndpoint', 'host'];
    if (endpoint.loadBalancer === 'kube-vip' && isIP(endpoint.host) === 0) {
      problems.push({ path, reason: `kube-vip needs a virtual IP address, not ${JSON.stringify(endpoint.host)}` });
    }
    for (const s of subnets) {
      if (cidrContains(s.cidr, endpoint.host)) problems.push({ path, reason: `${endpoint.host} lies inside ${s.name} ${s.cidr.text}` });
    }
    const owner = spec.hosts.findIndex((h) => h.address === endpoint.host);
    if (owner >= 0 && endpoint.loadBalancer !== 'external' && controlPlanes.length > 1) {
      problems.push({ path, reason: `is spec.hosts[${owner}]'s own address; a ${endpoint.loadBalancer} endpoint needs a free virtual IP` });
    }
  }

  const locals = spec.hosts.map((h, i) => (h.address === 'local' ? i : -1)).filter((i) => i >= 0);
  for (const i of locals.slice(1)) {
    problems.push({ path: ['spec', 'hosts', i, 'address'], reason: 'only one host can be `local`' });
  }
  return problems;
}
