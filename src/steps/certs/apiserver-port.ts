/**
 * Where a control plane's apiserver listens: the `--secure-port` of its static pod manifest
 * (kubeadm writes localAPIEndpoint.bindPort there). The renewal asks that port for /healthz —
 * a cluster made with another bindPort, or a manifest edited by hand, does not listen on 6443.
 */
import { parse } from 'yaml';
import { APISERVER_PORT } from '../../pki/spec.js';

interface PodManifest {
  spec?: { containers?: { name?: string; command?: unknown; args?: unknown }[] };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The manifest's `--secure-port` (`--secure-port=N` or `--secure-port N`); kube-apiserver's default, 6443, without one. */
export function apiserverSecurePort(manifest: string | undefined): number {
  if (manifest === undefined) return APISERVER_PORT;
  let pod: PodManifest;
  try {
    pod = (parse(manifest) ?? {}) as PodManifest;
  } catch {
    return APISERVER_PORT;
  }
  const containers = pod.spec?.containers ?? [];
  const apiserver = containers.find((c) => c.name === 'kube-apiserver') ?? containers[0];
  const argv = [...strings(apiserver?.command), ...strings(apiserver?.args)];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = arg.startsWith('--secure-port=') ? arg.slice('--secure-port='.length) : arg === '--secure-port' ? argv[i + 1] : undefined;
    if (value === undefined) continue;
    const port = Number(value);
    if (/^\d+$/.test(value) && port >= 1 && port <= 65535) return port;
  }
  return APISERVER_PORT;
}
