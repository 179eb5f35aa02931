/** Starting a test server on a loopback address of the test's choosing, on a free port. */
import type { Server } from 'node:net';

/** Listens on `host`, port chosen by the kernel; resolves with the port. */
export async function listenOnFreePort(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`test server on ${host}: no port`);
  return address.port;
}
