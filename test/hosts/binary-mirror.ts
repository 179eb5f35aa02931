/**
 * A Kubernetes release-binary mirror for a fleet, laid out like https://dl.k8s.io
 * (`/release/v<version>/bin/linux/amd64/<name>` and `<name>.sha256`, the hex digest only),
 * served over HTTP on the fleet bridge's address: the test process's side of the subnet,
 * which every host reaches over its veth. The "binaries" are stand-ins too: small scripts
 * that run the host's kubeadm/kubelet/kubectl stand-in with TH_RELEASE_VERSION, so they
 * report the version they were published as. `corrupt` names binaries served with bytes that
 * do not match their published checksum.
 */
import { createHash } from 'node:crypto';
import { startFileServer } from './file-server.js';
import type { TestFleet } from './types.js';

export const RELEASE_TOOLS = ['kubeadm', 'kubelet', 'kubectl'] as const;

/** The bytes of the release-binary stand-in for `name` at `version`. */
export function releaseBinary(name: string, version: string): string {
  return `#!/bin/bash\n# ${name} v${version} release binary stand-in, served by the test's binary mirror.\nTH_RELEASE_VERSION=${version} exec /usr/lib/k8sprep-testhost/standins/${name} "$@"\n`;
}

export interface MirrorRequest {
  /** The requesting host's address. */
  from: string;
  path: string;
}

export interface BinaryMirror {
  /** The base URL, for spec.mirrors.binaries. */
  url: string;
  requests: MirrorRequest[];
  close(): Promise<void>;
}

export async function startBinaryMirror(fleet: TestFleet, version: string, opts: { corrupt?: readonly string[] } = {}): Promise<BinaryMirror> {
  const files: Record<string, string> = {};
  for (const name of RELEASE_TOOLS) {
    const dir = `/release/v${version}/bin/linux/amd64`;
    const body = releaseBinary(name, version);
    files[`${dir}/${name}.sha256`] = createHash('sha256').update(body).digest('hex');
    files[`${dir}/${name}`] = opts.corrupt?.includes(name) ? `${body}# flipped in transit\n` : body;
  }
  const server = await startFileServer(fleet, files);
  return {
    url: server.url,
    // The mirror's requests, as they happen (the file server's list, seen through a view).
    get requests(): MirrorRequest[] {
      return server.requests.map(({ from, path }) => ({ from, path }));
    },
    close: () => server.close(),
  };
}
