/**
 * The network side of SshTransport against real sshds on loopback: a bastion
 * (127.0.0.62 -> 127.0.0.68), a connection lost mid-script (127.0.0.63), a server that
 * never speaks (127.0.0.64) and a port with no listener (127.0.0.65).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { HostKeyError, TransportError } from '../../src/errors.js';
import { noPrompts } from '../../src/transport/prompts.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { Bastion } from '../../src/cluster/types.js';
import { authorizedKey, clientHome, makeHost, removeDir, runCaptured, tempDir, TransportPool, writeAuthorizedKeys } from './helpers/fixture.js';
import { descendants, killQuietly, requireSshd, TestSshd } from './helpers/sshd.js';

const PORT = 2222;
let dir: string;
let home: string;
let key: string;
let authorizedKeys: string;
const pool = new TransportPool();

function transport(
  name: string,
  address: string,
  opts: { bastion?: Bastion; connectTimeoutMs?: number; knownHostsPath?: string; keepaliveIntervalMs?: number } = {},
): SshTransport {
  const host = makeHost(name, address, { port: PORT, identityFile: key, ...(opts.bastion ? { bastion: opts.bastion } : {}) });
  return pool.add(
    new SshTransport(host, {
      acceptNewHostKeys: false,
      prompts: noPrompts(),
      home,
      env: {},
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      ...(opts.knownHostsPath ? { knownHostsPath: opts.knownHostsPath } : {}),
      ...(opts.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: opts.keepaliveIntervalMs } : {}),
    }),
  );
}

function trust(...servers: { address: string; sshd: TestSshd }[]): void {
  writeFileSync(join(home, '.ssh', 'known_hosts'), servers.map((s) => `[${s.address}]:${PORT} ${s.sshd.hostKeyPub}\n`).join(''));
}

beforeAll(() => {
  requireSshd();
  dir = tempDir('network');
  home = clientHome(dir);
  const keys: string[] = [];
  key = authorizedKey(join(dir, 'client_key'), keys);
  authorizedKeys = join(dir, 'authorized_keys');
  writeAuthorizedKeys(authorizedKeys, keys);
});

afterEach(() => pool.closeAll());

afterAll(() => removeDir(dir));

async function startSshd(name: string, address: string, allowTcpForwarding = false): Promise<TestSshd> {
  const d = join(dir, name);
  spawnSync('mkdir', ['-p', d]);
  return TestSshd.start({ dir: d, address, port: PORT, authorizedKeys, allowTcpForwarding });
}

describe('through a bastion', () => {
  const BASTION = '127.0.0.62';
  const TARGET = '127.0.0.68';
  let bastion: TestSshd;
  let target: TestSshd;
  const via: Bastion = { host: BASTION, port: PORT, user: 'root', identityFile: '' };

  beforeAll(async () => {
    bastion = await startSshd('bastion', BASTION, true);
    target = await startSshd('target', TARGET);
    via.identityFile = key;
  });

  afterAll(async () => {
    await bastion?.stop();
    await target?.stop();
  });

  it('reaches the target through the bastion: the TCP connection the target sees belongs to the bastion sshd', async () => {
    trust({ address: BASTION, sshd: bastion }, { address: TARGET, sshd: target });
    const t = transport('node1', TARGET, { bastion: via });
    const r = await runCaptured(t, 'echo "$SSH_CONNECTION"');
    const [srcIp, srcPort, dstIp, dstPort] = (r.stdout[0] ?? '').split(' ');
    expect([srcIp, dstIp, dstPort]).toEqual(['127.0.0.1', TARGET, String(PORT)]);
    // Who owns the client end of that TCP connection? It must be a process of the bastion's sshd.
    const ss = spawnSync('ss', ['-Htnp', 'state', 'established', `( sport = :${srcPort} and dport = :${PORT} )`], { encoding: 'utf8' }).stdout;
    const owners = [...ss.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    expect(owners.length).toBeGreaterThan(0);
    const bastionProcesses = descendants(bastion.pid);
    for (const pid of owners) expect(bastionProcesses).toContain(pid);
    expect(bastion.log()).toContain(`target ${TARGET} port ${PORT}`);
  });

  it('shares one bastion login between hosts behind it', async () => {
    trust({ address: BASTION, sshd: bastion }, { address: TARGET, sshd: target });
    const logins = () =>
      bastion
        .log()
        .split('\n')
        .filter((l) => l.includes('Accepted publickey')).length;
    const before = logins();
    const [a, b] = [transport('node-a', TARGET, { bastion: via }), transport('node-b', TARGET, { bastion: via })];
    await Promise.all([a.connect(), b.connect()]);
    expect((await runCaptured(a, 'echo a')).stdout).toEqual(['a']);
    expect((await runCaptured(b, 'echo b')).stdout).toEqual(['b']);
    expect(logins() - before).toBe(1);
  });

  it("checks the bastion's own host key", async () => {
    trust({ address: TARGET, sshd: target });
    const err = await transport('node1', TARGET, { bastion: via })
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).host).toBe('node1');
    expect((err as Error).message).toMatch(/^unknown host key for bastion 127\.0\.0\.62:2222: /);
  });

  it("checks the target's host key behind the bastion", async () => {
    trust({ address: BASTION, sshd: bastion });
    await expect(transport('node1', TARGET, { bastion: via }).connect()).rejects.toThrow(/^unknown host key for node1 \(127\.0\.0\.68:2222\)/);
  });

  it('says when the bastion cannot reach the target', async () => {
    trust({ address: BASTION, sshd: bastion });
    await expect(transport('node1', '127.0.0.65', { bastion: via }).connect()).rejects.toThrow(
      /^bastion 127\.0\.0\.62:2222 could not open a connection to 127\.0\.0\.65:2222 for node1: /,
    );
  });
});

describe('connection problems', () => {
  it('rejects a running script with TransportError when the connection is lost, noticed from the close', async () => {
    const ADDRESS = '127.0.0.63';
    const sshd = await startSshd('lost', ADDRESS);
    try {
      trust({ address: ADDRESS, sshd });
      // No keepalives: only the connection closing can end this run (the script sleeps past
      // the test's timeout).
      const t = transport('node1', ADDRESS, { keepaliveIntervalMs: 0 });
      let started: () => void = () => undefined;
      const isStarted = new Promise<void>((resolve) => (started = resolve));
      const run = t.runScript('# k8sprep phase prepare (Prepare the host) for host node1\necho started\nsleep 600\n', [], { onStdoutLine: () => started() });
      const outcome = run.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await isStarted;
      // The listener and every session process it forked, by PID.
      for (const pid of [sshd.pid, ...descendants(sshd.pid)]) killQuietly(pid, 'SIGKILL');
      const err = await outcome;
      expect(err).toBeInstanceOf(TransportError);
      expect((err as Error).message).toMatch(/^connection to node1 \(127\.0\.0\.63:2222\) lost while running phase prepare/);
      // And the transport stays failed rather than hanging or reconnecting silently.
      await expect(t.runScript('true\n', [])).rejects.toThrow(/^connection to node1 .* lost/);
    } finally {
      await sshd.stop();
    }
  });

  it('times out against a server that accepts TCP and never speaks', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.64', resolve));
    try {
      // The message is the connect timer's own: the timeout fired, nothing else ended the attempt.
      const err = await transport('node1', '127.0.0.64', { connectTimeoutMs: 1000 })
        .connect()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(TransportError);
      expect((err as Error).message).toBe('connecting to node1 (127.0.0.64:2222) timed out after 1000 ms (no SSH handshake and login in that time)');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says the connection was refused when nothing listens', async () => {
    const err = await transport('node1', '127.0.0.65')
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toBe('cannot connect to node1 (127.0.0.65:2222): connection refused');
  });

  it('can retry connect() after a failure', async () => {
    const t = transport('node1', '127.0.0.65');
    await expect(t.connect()).rejects.toThrow(/refused/);
    await expect(t.connect()).rejects.toThrow(/refused/);
  });
});
