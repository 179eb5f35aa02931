/**
 * The control-plane endpoint (DESIGN §2, §4 "kube-vip", "keepalived + haproxy"): its rules
 * across fields, its defaults (which depend on the load balancer) and the derived values
 * the bootstrap reads (apiEndpoint, the VIP, the endpoint's name).
 */
import { isIP } from 'node:net';
import type { FieldPath } from './locate.js';
import { type Cidr, cidrContains, sameAddress } from './net.js';
import type { ClusterFile } from './schema.js';
import type { ControlPlaneEndpoint, Host, LoadBalancer } from './types.js';
import type { FieldProblem } from './validate.js';

/** Every kube-apiserver listens here (kubeadm's localAPIEndpoint.bindPort). */
export const APISERVER_PORT = 6443;
const DEFAULT_VIRTUAL_ROUTER_ID = 51;

const DEFAULT_ENDPOINT_PORT: Record<LoadBalancer, number> = {
  'kube-vip': APISERVER_PORT,
  // haproxy runs on the control planes beside the apiservers, so it cannot take 6443.
  'keepalived-haproxy': 8443,
  external: APISERVER_PORT,
};

/** What already listens on every control plane, so haproxy cannot bind there. */
const CONTROL_PLANE_PORTS: Record<number, string> = {
  [APISERVER_PORT]: 'each apiserver',
  2379: 'etcd',
  2380: 'etcd (peers)',
  10250: 'the kubelet',
  10257: 'kube-controller-manager',
  10259: 'kube-scheduler',
};

/** The endpoint as the rules read it; absent = unknown (not given, or its own problem was reported). */
export interface EndpointInput {
  host?: string;
  /** `null`: given, but not valid (already reported). */
  address?: string | null;
  port?: number;
  loadBalancer?: string;
  virtualRouterId?: unknown;
}

interface EndpointContext {
  subnets: readonly { name: string; cidr: Cidr }[];
  hosts: readonly { address?: string }[];
  controlPlaneCount: number;
}

const PATH = ['spec', 'controlPlaneEndpoint'] as const;
const at = (field: string): FieldPath => [...PATH, field];

export function endpointProblems(endpoint: EndpointInput, ctx: EndpointContext): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { host, address, loadBalancer: lb } = endpoint;
  const hostIsIp = host !== undefined && isIP(host) !== 0;
  const announced = lb === 'kube-vip' || lb === 'keepalived-haproxy';

  if (typeof address === 'string') {
    if (lb === 'external') {
      problems.push({
        path: at('address'),
        reason: 'is only for kube-vip and keepalived-haproxy: k8sprep announces no virtual IP for an external load balancer',
      });
    } else if (hostIsIp && !sameAddress(address, host)) {
      problems.push({ path: at('address'), reason: `differs from host ${host}: when host is an IP address it is the virtual IP (leave address out)` });
    }
  }
  if (announced && host !== undefined && !hostIsIp && address === undefined) {
    problems.push({
      path: at('host'),
      reason: `${JSON.stringify(host)} is a name: ${lb} needs the virtual IP in spec.controlPlaneEndpoint.address (or an IP address as host)`,
    });
  }

  // The endpoint's IP address and the field it is written in: host when it is one, else the VIP.
  const ip = hostIsIp ? { field: 'host', value: host } : typeof address === 'string' && lb !== 'external' ? { field: 'address', value: address } : undefined;
  if (ip) {
    for (const s of ctx.subnets) {
      if (cidrContains(s.cidr, ip.value)) problems.push({ path: at(ip.field), reason: `${ip.value} lies inside ${s.name} ${s.cidr.text}` });
    }
    const owner = ctx.hosts.findIndex((h) => h.address !== undefined && sameAddress(h.address, ip.value));
    if (owner >= 0 && announced && ctx.controlPlaneCount > 1) {
      problems.push({ path: at(ip.field), reason: `is spec.hosts[${owner}]'s own address; a ${lb} endpoint needs a free virtual IP` });
    }
  }

  const port = endpoint.port;
  if (port !== undefined && lb === 'kube-vip' && port !== APISERVER_PORT) {
    problems.push({
      path: at('port'),
      reason: `must be ${APISERVER_PORT} with kube-vip: the virtual IP leads straight to each control plane's own apiserver, which listens on ${APISERVER_PORT} (keepalived-haproxy can use another port)`,
    });
  }
  if (port !== undefined && lb === 'keepalived-haproxy' && CONTROL_PLANE_PORTS[port] !== undefined) {
    problems.push({
      path: at('port'),
      reason: `cannot be ${port} with keepalived-haproxy: haproxy runs on the control planes, where ${CONTROL_PLANE_PORTS[port]} listens on it (default ${DEFAULT_ENDPOINT_PORT['keepalived-haproxy']})`,
    });
  }
  if (endpoint.virtualRouterId !== undefined && lb !== undefined && lb !== 'keepalived-haproxy') {
    problems.push({ path: at('virtualRouterId'), reason: `is only for keepalived-haproxy (VRRP); loadBalancer is ${lb}` });
  }
  return problems;
}

interface DerivedEndpoint {
  controlPlaneEndpoint?: ControlPlaneEndpoint;
  apiEndpoint: { host: string; port: number };
  vip?: string;
  endpointName?: string;
}

/** `endpoint` must have passed endpointProblems. Without one, the API is the first control plane's own. */
export function deriveEndpoint(endpoint: ClusterFile['spec']['controlPlaneEndpoint'], firstControlPlane: Host): DerivedEndpoint {
  if (!endpoint) return { apiEndpoint: { host: firstControlPlane.address, port: APISERVER_PORT } };
  const { host, loadBalancer } = endpoint;
  const port = endpoint.port ?? DEFAULT_ENDPOINT_PORT[loadBalancer];
  const derived: DerivedEndpoint = {
    controlPlaneEndpoint:
      loadBalancer === 'keepalived-haproxy'
        ? { loadBalancer, host, port, virtualRouterId: endpoint.virtualRouterId ?? DEFAULT_VIRTUAL_ROUTER_ID }
        : { loadBalancer, host, port },
    apiEndpoint: { host, port },
  };
  const hostIsIp = isIP(host) !== 0;
  if (!hostIsIp) derived.endpointName = host;
  if (loadBalancer !== 'external') {
    const vip = hostIsIp ? host : endpoint.address;
    if (vip !== undefined) derived.vip = vip;
  }
  return derived;
}
