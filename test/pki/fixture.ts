/**
 * Clusters for the PKI tests, built through the real loader (parseClusterText) from a
 * small YAML template, so they carry exactly the derived values the CLI would. The
 * addresses are never contacted: nothing in the PKI tests uses the network beyond etcd
 * on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';

export interface FixtureHost {
  name: string;
  address: string;
  roles?: string[];
}

export interface FixtureOptions {
  name?: string;
  version?: string;
  /** controlPlaneEndpoint.host; omitted when undefined and there is one control plane. */
  endpoint?: string;
  port?: number;
  hosts?: FixtureHost[];
  caValidity?: string;
  certValidity?: string;
  keyAlgorithm?: 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
  dnsDomain?: string;
  serviceSubnet?: string;
  podSubnet?: string;
}

export const HA_HOSTS: FixtureHost[] = [
  { name: 'cp1', address: '192.168.56.11' },
  { name: 'cp2', address: '192.168.56.12' },
  { name: 'cp3', address: '192.168.56.13' },
  { name: 'w1', address: '192.168.56.21', roles: ['worker'] },
];

export function clusterYaml(o: FixtureOptions = {}): string {
  const hosts = o.hosts ?? HA_HOSTS;
  const lines = [
    'apiVersion: k8sprep.io/v1alpha1',
    'kind: Cluster',
    `metadata: {name: ${o.name ?? 'pkitest'}}`,
    'spec:',
    '  kubernetes:',
    `    version: "${o.version ?? '1.30.6'}"`,
    ...(o.dnsDomain ? [`    dnsDomain: ${o.dnsDomain}`] : []),
    ...(o.serviceSubnet ? [`    serviceSubnet: "${o.serviceSubnet}"`] : []),
    ...(o.podSubnet ? [`    podSubnet: "${o.podSubnet}"`] : []),
  ];
  if (o.endpoint !== undefined) {
    // kube-vip needs a virtual IP; a DNS name is an external load balancer.
    const lb = isIP(o.endpoint) ? 'kube-vip' : 'external';
    lines.push('  controlPlaneEndpoint:', `    host: "${o.endpoint}"`, `    port: ${o.port ?? 6443}`, `    loadBalancer: ${lb}`);
  }
  const certs = [
    ...(o.keyAlgorithm ? [`    keyAlgorithm: ${o.keyAlgorithm}`] : []),
    ...(o.caValidity ? [`    caValidity: ${o.caValidity}`] : []),
    ...(o.certValidity ? [`    certValidity: ${o.certValidity}`] : []),
  ];
  if (certs.length > 0) lines.push('  certificates:', ...certs);
  lines.push('  hosts:');
  for (const h of hosts) {
    lines.push(`    - {name: ${h.name}, address: "${h.address}", roles: [${(h.roles ?? ['control-plane']).join(', ')}], os: centos7}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A Cluster as the loader makes it; `stateDir` lands under `baseDir`. */
export function testCluster(o: FixtureOptions = {}, baseDir = tmpdir()): Cluster {
  const withEndpoint =
    o.endpoint === undefined && (o.hosts ?? HA_HOSTS).filter((h) => (h.roles ?? ['control-plane']).includes('control-plane')).length > 1
      ? { ...o, endpoint: '192.168.56.100' }
      : o;
  return parseClusterText(clusterYaml(withEndpoint), 'cluster.yaml', join(baseDir, 'cluster.yaml'));
}

export function tempDir(prefix = 'k8sprep-pki-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
