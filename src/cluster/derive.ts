/** Defaults merged and derived values computed: ClusterFile (validated) -> Cluster. */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { durationToHours } from './duration.js';
import { deriveEndpoint } from './endpoint.js';
import { firstAddress, parseCidr } from './net.js';
import type { ClusterFile } from './schema.js';
import type { Cluster, ClusterSource, Host, SshOrigins, SshSettings } from './types.js';
import { parseVersion } from './versions.js';

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : resolve(path);
}

type SshFile = ClusterFile['spec']['ssh'];

function mergeSsh(defaults: SshFile, own: SshFile | undefined): SshSettings {
  const merged = { ...defaults, ...own };
  const out: SshSettings = { user: merged.user ?? 'root', port: merged.port ?? 22 };
  if (merged.identityFile) out.identityFile = expandHome(merged.identityFile);
  if (merged.passwordEnv) out.passwordEnv = merged.passwordEnv;
  if (merged.bastion) {
    const b = merged.bastion;
    out.bastion = { host: b.host, user: b.user, port: b.port };
    if (b.identityFile) out.bastion.identityFile = expandHome(b.identityFile);
  }
  return out;
}

function originsFor(spec: ClusterFile['spec'], index: number): SshOrigins {
  const own = spec.hosts[index]?.ssh;
  const out: SshOrigins = {};
  if (own?.identityFile) out.identityFile = ['spec', 'hosts', index, 'ssh', 'identityFile'];
  else if (spec.ssh.identityFile) out.identityFile = ['spec', 'ssh', 'identityFile'];
  if (own?.user !== undefined) out.user = ['spec', 'hosts', index, 'ssh', 'user'];
  else if (spec.ssh.user !== undefined) out.user = ['spec', 'ssh', 'user'];
  if (own?.port !== undefined) out.port = ['spec', 'hosts', index, 'ssh', 'port'];
  else if (spec.ssh.port !== undefined) out.port = ['spec', 'ssh', 'port'];
  if (own?.bastion) out.bastionIdentityFile = ['spec', 'hosts', index, 'ssh', 'bastion', 'identityFile'];
  else if (spec.ssh.bastion) out.bastionIdentityFile = ['spec', 'ssh', 'bastion', 'identityFile'];
  return out;
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** `file` must already have passed the schema and crossFieldProblems. */
export function deriveCluster(file: ClusterFile, source: ClusterSource): Cluster {
  const spec = file.spec;
  const hosts: Host[] = spec.hosts.map((h, index) => {
    const host: Host = {
      name: h.name,
      address: h.address,
      roles: [...h.roles],
      ssh: mergeSsh(spec.ssh, h.ssh),
      sshOrigins: originsFor(spec, index),
      isControlPlane: h.roles.includes('control-plane'),
      isWorker: h.roles.includes('worker'),
      index,
    };
    if (h.os) host.os = h.os;
    return host;
  });
  const controlPlanes = hosts.filter((h) => h.isControlPlane);
  const firstControlPlane = controlPlanes[0];
  if (!firstControlPlane) throw new Error('deriveCluster: no control plane (validation should have refused this)');
  const service = parseCidr(spec.kubernetes.serviceSubnet);
  if (typeof service === 'string') throw new Error(`deriveCluster: ${service}`);
  const bits = Number(spec.certificates.keyAlgorithm.slice(4)) as 2048 | 3072 | 4096;
  const baseDir = source.file ? dirname(source.file) : process.cwd();
  const { cniManifest, ...kubernetes } = spec.kubernetes;

  const cluster: Cluster = {
    name: file.metadata.name,
    source,
    stateDir: join(baseDir, '.k8sprep', file.metadata.name),
    kubernetes: { ...kubernetes, version: parseVersion(spec.kubernetes.version) },
    ...deriveEndpoint(spec.controlPlaneEndpoint, firstControlPlane),
    mirrors: { packages: spec.mirrors.packages, registries: spec.mirrors.registries, binaries: withoutTrailingSlash(spec.mirrors.binaries) },
    firewall: spec.firewall,
    sysctl: spec.sysctl,
    certificates: {
      keyAlgorithm: spec.certificates.keyAlgorithm,
      keyBits: bits,
      caValidityHours: durationToHours(spec.certificates.caValidity),
      certValidityHours: durationToHours(spec.certificates.certValidity),
    },
    hosts,
    controlPlanes,
    workers: hosts.filter((h) => h.isWorker),
    firstControlPlane,
    firstServiceIp: firstAddress(service),
  };
  if (cniManifest) cluster.kubernetes.cniManifest = { url: cniManifest.url, sha256: cniManifest.sha256.toLowerCase() };
  if (spec.mirrors.manifests) cluster.mirrors.manifests = withoutTrailingSlash(spec.mirrors.manifests);
  return cluster;
}
