/** Cross-field rules the schema cannot express (DESIGN §2). Pure: returns every problem. */
import { isIP } from 'node:net';
import type { FieldPath } from './locate.js';
import { type Cidr, cidrContains, cidrsOverlap, ipToBigInt, parseCidr } from './net.js';
import { fieldSchemas } from './schema.js';
import type { OsId } from './types.js';
import { parseVersion, versionProblem } from './versions.js';

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
    kubernetes?: { version?: string; podSubnet?: string; serviceSubnet?: string };
    /** Present (possibly with unknown fields) when the file has one. */
    controlPlaneEndpoint?: { host?: string; loadBalancer?: string };
    hosts?: readonly { name?: string; address?: string; roles?: readonly string[]; os?: OsId }[];
  };
}

function addressKey(address: string): string {
  return isIP(address) ? `ip:${ipToBigInt(address)}/${isIP(address)}` : address.toLowerCase();
}

export function crossFieldProblems(file: CrossFieldInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const spec = file.spec;
  const k8s = spec.kubernetes ?? {};
  const version = k8s.version === undefined ? undefined : parseVersion(k8s.version);
  const hosts = spec.hosts ?? [];

  const subnets: { name: string; cidr: Cidr; path: FieldPath }[] = [];
  for (const key of ['podSubnet', 'serviceSubnet'] as const) {
    const path = ['spec', 'kubernetes', key];
    const text = k8s[key];
    if (text === undefined) continue;
    const parsed = parseCidr(text);
    if (typeof parsed === 'string') problems.push({ path, reason: parsed });
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

  // Reported once, at the version; a host's `os` only for what is specific to that OS.
  const generic = version ? versionProblem(version, undefined) : undefined;
  if (generic) problems.push({ path: ['spec', 'kubernetes', 'version'], reason: generic });

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
    if (version && host.os && !generic) {
      const why = versionProblem(version, host.os);
      if (why) problems.push({ path: [...base, 'os'], reason: why });
    }
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
  if (endpoint?.host !== undefined) {
    const endpointHost = endpoint.host;
    const path = ['spec', 'controlPlaneEndpoint', 'host'];
    if (endpoint.loadBalancer === 'kube-vip' && isIP(endpointHost) === 0) {
      problems.push({ path, reason: `kube-vip needs a virtual IP address, not ${JSON.stringify(endpointHost)}` });
    }
    for (const s of subnets) {
      if (cidrContains(s.cidr, endpointHost)) problems.push({ path, reason: `${endpointHost} lies inside ${s.name} ${s.cidr.text}` });
    }
    const owner = hosts.findIndex((h) => h.address !== undefined && addressKey(h.address) === addressKey(endpointHost));
    if (owner >= 0 && endpoint.loadBalancer !== undefined && endpoint.loadBalancer !== 'external' && controlPlanes.length > 1) {
      problems.push({ path, reason: `is spec.hosts[${owner}]'s own address; a ${endpoint.loadBalancer} endpoint needs a free virtual IP` });
    }
  }

  const locals = hosts.map((h, i) => (h.address === 'local' ? i : -1)).filter((i) => i >= 0);
  for (const i of locals.slice(1)) {
    problems.push({ path: ['spec', 'hosts', i, 'address'], reason: 'only one host can be `local`' });
  }
  return problems;
}

function field<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The cross-field rules' input from a file that failed the schema: only values that pass their own schema. */
export function salvageCrossFieldInput(raw: unknown): CrossFieldInput {
  const spec = record(record(raw)?.spec);
  if (!spec) return { spec: {} };
  const out: CrossFieldInput['spec'] = {};
  const k8s = record(spec.kubernetes);
  if (k8s) {
    out.kubernetes = {};
    const version = field(fieldSchemas.version, k8s.version);
    if (version !== undefined) out.kubernetes.version = version;
    const pod = field(fieldSchemas.podSubnet, k8s.podSubnet);
    if (pod !== undefined) out.kubernetes.podSubnet = pod;
    const svc = field(fieldSchemas.serviceSubnet, k8s.serviceSubnet);
    if (svc !== undefined) out.kubernetes.serviceSubnet = svc;
  }
  if (spec.controlPlaneEndpoint !== undefined) {
    const ep = record(spec.controlPlaneEndpoint) ?? {};
    out.controlPlaneEndpoint = {};
    const host = field(fieldSchemas.endpointHost, ep.host);
    if (host !== undefined) out.controlPlaneEndpoint.host = host;
    const lb = field(fieldSchemas.loadBalancer, ep.loadBalancer);
    if (lb !== undefined) out.controlPlaneEndpoint.loadBalancer = lb;
  }
  if (Array.isArray(spec.hosts)) {
    out.hosts = spec.hosts.map((item: unknown) => {
      const h = record(item) ?? {};
      const host: NonNullable<CrossFieldInput['spec']['hosts']>[number] = {};
      const name = field(fieldSchemas.hostName, h.name);
      if (name !== undefined) host.name = name;
      const address = field(fieldSchemas.hostAddress, h.address);
      if (address !== undefined) host.address = address;
      const roles = field(fieldSchemas.roles, h.roles);
      if (roles !== undefined) host.roles = roles;
      const os = field(fieldSchemas.os, h.os);
      if (os !== undefined) host.os = os;
      return host;
    });
  }
  return { spec: out };
}
