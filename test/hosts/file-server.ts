/**
 * A loopback HTTP file server for a fleet: serves the given paths over HTTP on the fleet
 * bridge's address (`.1`, the test process's side of the subnet, which every host reaches over
 * its veth), 404 for anything else, and records every request (who asked for what). The
 * release-binary mirror and the CNI manifests of the bootstrap tests are served with it.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { listenOnFreePort } from '../helpers/listen.js';
import { ipAt, parseSubnet } from './net.js';
import type { TestFleet } from './types.js';

export interface FileRequest {
  /** The requesting host's address. */
  from: string;
  method: string;
  path: string;
  /** The status answered: 200, or 404 for a path not served. */
  status: number;
}

export interface FileServer {
  /** http://<bridge address>:<port>, no trailing slash. */
  url: string;
  requests: FileRequest[];
  /** Serves (or replaces) a path from now on. */
  set(path: string, body: string | Buffer): void;
  close(): Promise<void>;
}

/** `files`: URL path (starting with /) -> body. GET and HEAD only. */
export async function startFileServer(fleet: TestFleet, files: Record<string, string | Buffer>): Promise<FileServer> {
  const served = new Map<string, string | Buffer>(Object.entries(files));
  for (const path of served.keys()) if (!path.startsWith('/')) throw new Error(`file server: path ${path} must start with /`);
  const requests: FileRequest[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const body = served.get(path);
    const ok = (req.method === 'GET' || req.method === 'HEAD') && body !== undefined;
    requests.push({ from: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?', method: req.method ?? '?', path, status: ok ? 200 : 404 });
    if (!ok) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const host = ipAt(parseSubnet(fleet.subnet), 1);
  const port = await listenOnFreePort(server, host);
  return {
    url: `http://${host}:${port}`,
    requests,
    set: (path, body) => served.set(path, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Fixtures under test/hosts/fixtures: small manifests shaped like the real CNI releases'. */
export const CNI_FIXTURES = {
  /** Calico's calico.yaml: calico-node DaemonSet with `# - name: CALICO_IPV4POOL_CIDR` / `#   value: "192.168.0.0/16"`. */
  calico: fileURLToPath(new URL('fixtures/calico.yaml', import.meta.url)),
  /** flannel's kube-flannel.yml: namespace kube-flannel, kube-flannel-cfg with net-conf.json, kube-flannel-ds. */
  flannel: fileURLToPath(new URL('fixtures/kube-flannel.yml', import.meta.url)),
} as const;

export function cniFixture(name: keyof typeof CNI_FIXTURES): string {
  return readFileSync(CNI_FIXTURES[name], 'utf8');
}
