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
import { createServer } from 'node:http';
import { listenOnFreePort } from '../helpers/listen.js';
import { ipAt, parseSubnet } from './net.js';
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
  const files = new Map<string, string>();
  for (const name of RELEASE_TOOLS) {
    const dir = `/release/v${version}/bin/linux/amd64`;
    const body = releaseBinary(name, version);
    files.set(`${dir}/${name}.sha256`, createHash('sha256').update(body).digest('hex'));
    files.set(`${dir}/${name}`, opts.corrupt?.includes(name) ? `${body}# flipped in transit\n` : body);
  }
  const requests: MirrorRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ from: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?', path: req.url ?? '' });
    const body = files.get(req.url ?? '');
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  const host = ipAt(parseSubnet(fleet.subnet), 1);
  const port = await listenOnFreePort(server, host);
  return {
    url: `http://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
