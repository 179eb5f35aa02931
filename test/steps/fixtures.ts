/**
 * Clusters and rendered scripts for the step tests: a cluster per (version, OS, options),
 * one step rendered alone (its helpers and check/apply/verify trio), a host's whole phase.
 */
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster, OsId } from '../../src/cluster/types.js';
import { stepContext } from '../../src/run/plan.js';
import { PREAMBLE } from '../../src/script/preamble.js';
import { renderHostScript } from '../../src/script/render.js';
import { preflightPhase, prepPhase, type StepsPhase } from '../../src/actions/prep.js';
import type { Step, StepContext } from '../../src/steps/types.js';

/** The version matrix of issue 3: oldest supported, last pause 3.9, first v1beta4/pause 3.10, pause 3.10.1. */
export const VERSIONS = ['1.28.15', '1.30.6', '1.31.2', '1.34.2'] as const;
export const OSES: readonly OsId[] = ['centos7', 'arch'];

export interface ClusterOptions {
  version?: string;
  /** Declared OS of every host; `null` leaves it undeclared (detected at run time). */
  os?: OsId | null;
  packages?: 'aliyun' | 'upstream';
  firewall?: 'open-ports' | 'disable';
  cni?: 'calico' | 'flannel' | 'none';
  proxyMode?: 'ipvs' | 'iptables' | 'nftables';
  podSubnet?: string;
  imageRepository?: string;
  registries?: Record<string, string[]>;
  /** controlPlaneEndpoint host and port (default 192.168.77.100:6443, kube-vip; another port makes it an external balancer). */
  endpoint?: { host: string; port: number };
  /** mirrors.binaries (default: none in the file, so https://dl.k8s.io). */
  binaries?: string;
  /** spec.sysctl (merged over the built-in table; null removes a key). */
  sysctl?: Record<string, string | number | null>;
}

/** Two control planes (cp1, cp2), one worker (w1), one worker addressed by DNS name (w2). */
export function cluster(o: ClusterOptions = {}): Cluster {
  const os = o.os === null ? '' : `, os: ${o.os ?? 'centos7'}`;
  const k8s = [
    `version: "${o.version ?? '1.30.6'}"`,
    ...(o.cni ? [`cni: ${o.cni}`] : []),
    ...(o.proxyMode ? [`proxyMode: ${o.proxyMode}`] : []),
    ...(o.podSubnet ? [`podSubnet: ${o.podSubnet}`] : []),
    ...(o.imageRepository ? [`imageRepository: ${o.imageRepository}`] : []),
  ];
  const registries = Object.entries(o.registries ?? {}).map(([r, m]) => `      ${r}: [${m.join(', ')}]`);
  const text = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: steps}
spec:
  kubernetes: {${k8s.join(', ')}}
  controlPlaneEndpoint: {host: ${o.endpoint?.host ?? '192.168.77.100'}, port: ${o.endpoint?.port ?? 6443}, loadBalancer: ${(o.endpoint?.port ?? 6443) === 6443 ? 'kube-vip' : 'external'}}
  mirrors:
    packages: ${o.packages ?? 'aliyun'}${o.binaries ? `\n    binaries: ${o.binaries}` : ''}
    registries:${registries.length ? `\n${registries.join('\n')}` : ' {}'}
  firewall: ${o.firewall ?? 'open-ports'}${o.sysctl ? `\n  sysctl: ${JSON.stringify(o.sysctl)}` : ''}
  hosts:
    - {name: cp1, address: 192.168.77.11, roles: [control-plane]${os}}
    - {name: cp2, address: 192.168.77.12, roles: [control-plane]${os}}
    - {name: w1, address: 192.168.77.21, roles: [worker]${os}}
    - {name: w2, address: w2.nodes.example, roles: [worker]${os}}
`;
  return parseClusterText(text, 'steps.yaml');
}

export function ctxFor(c: Cluster, hostName: string, os: OsId = c.hosts[0]?.os ?? 'centos7'): StepContext {
  const host = c.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host ${hostName}`);
  return stepContext(c, host, os);
}

export function phaseOf(stepId: string): StepsPhase {
  const phase = [preflightPhase, prepPhase].find((p) => p.steps.some((s) => s.id === stepId));
  if (!phase) throw new Error(`no step ${stepId}`);
  return phase;
}

export function stepById(id: string): Step {
  const step = phaseOf(id).steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
}

/** The step rendered alone (after the preamble, before main); '' when it does not apply. */
export function stepText(c: Cluster, hostName: string, stepId: string, os?: OsId): string {
  const ctx = ctxFor(c, hostName, os);
  // Its phase reduced to the step, without the guard that --only would keep in front of it.
  const { text, steps } = renderHostScript(ctx, { ...phaseOf(stepId), steps: [stepById(stepId)] }, {});
  if (steps.length === 0) return '';
  return text.slice(text.indexOf(PREAMBLE) + PREAMBLE.length, text.indexOf('k8sprep_main() {'));
}

/** The whole script that runs the step alone (as --only would, without the guard); '' when it does not apply. */
export function stepScript(c: Cluster, hostName: string, stepId: string, os?: OsId): string {
  const { text, steps } = renderHostScript(ctxFor(c, hostName, os), { ...phaseOf(stepId), steps: [stepById(stepId)] }, {});
  return steps.length === 0 ? '' : text;
}

/** The whole script of a phase for a host. */
export function phaseScript(c: Cluster, hostName: string, phase: StepsPhase, os?: OsId): string {
  return renderHostScript(ctxFor(c, hostName, os), phase, {}).text;
}

/** Body of the bash function `name` in `text` (from `name() {` to the closing `}` line). */
export function functionBody(text: string, name: string): string {
  const start = text.indexOf(`${name}() {\n`);
  if (start < 0) throw new Error(`no function ${name}`);
  const end = text.indexOf('\n}\n', start);
  return text.slice(start + name.length + 5, end);
}
