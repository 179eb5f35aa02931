/**
 * The cross-field rules' input from a file that failed the schema: only the values that
 * pass their own schema, so the rules still report what they can and invent nothing.
 */
import { fieldSchemas } from './schema.js';
import type { CrossFieldInput } from './validate.js';

type Parser<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false } };

function field<T>(schema: Parser<T>, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Copies `source[key]` into `target` when it passes `schema`. */
function take<O, K extends keyof O & string>(target: O, key: K, schema: Parser<NonNullable<O[K]>>, source: Record<string, unknown>): void {
  const value = field(schema, source[key]);
  if (value !== undefined) target[key] = value;
}

export function salvageCrossFieldInput(raw: unknown): CrossFieldInput {
  const spec = record(record(raw)?.spec);
  if (!spec) return { spec: {} };
  const out: CrossFieldInput['spec'] = {};
  const k8s = record(spec.kubernetes);
  if (k8s) {
    const kubernetes: NonNullable<CrossFieldInput['spec']['kubernetes']> = {};
    take(kubernetes, 'version', fieldSchemas.version, k8s);
    take(kubernetes, 'podSubnet', fieldSchemas.podSubnet, k8s);
    take(kubernetes, 'serviceSubnet', fieldSchemas.serviceSubnet, k8s);
    take(kubernetes, 'proxyMode', fieldSchemas.proxyMode, k8s);
    take(kubernetes, 'cni', fieldSchemas.cni, k8s);
    // Present is enough for its rule (it only matters with cni: none).
    if (k8s.cniManifest !== undefined) kubernetes.cniManifest = k8s.cniManifest;
    out.kubernetes = kubernetes;
  }
  if (spec.controlPlaneEndpoint !== undefined) {
    const ep = record(spec.controlPlaneEndpoint) ?? {};
    const endpoint: NonNullable<CrossFieldInput['spec']['controlPlaneEndpoint']> = {};
    take(endpoint, 'host', fieldSchemas.endpointHost, ep);
    take(endpoint, 'port', fieldSchemas.endpointPort, ep);
    take(endpoint, 'loadBalancer', fieldSchemas.loadBalancer, ep);
    if (ep.address !== undefined) endpoint.address = field(fieldSchemas.endpointAddress, ep.address) ?? null;
    if (ep.virtualRouterId !== undefined) endpoint.virtualRouterId = ep.virtualRouterId;
    out.controlPlaneEndpoint = endpoint;
  }
  if (Array.isArray(spec.hosts)) {
    out.hosts = spec.hosts.map((item: unknown) => {
      const h = record(item) ?? {};
      const host: NonNullable<CrossFieldInput['spec']['hosts']>[number] = {};
      take(host, 'name', fieldSchemas.hostName, h);
      take(host, 'address', fieldSchemas.hostAddress, h);
      take(host, 'roles', fieldSchemas.roles, h);
      take(host, 'os', fieldSchemas.os, h);
      return host;
    });
  }
  return { spec: out };
}
