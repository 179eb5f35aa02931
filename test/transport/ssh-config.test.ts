/**
 * ~/.ssh/config resolved like OpenSSH (issue 10 item 6), against real sshds on loopback:
 * 127.0.0.77 (a node) and 127.0.0.78 (a jump host). The client's config reaches the node
 * only through an Include, a Host pattern with HostName and Port, and a `Match host` on the
 * resolved address that sets the User and the IdentityFile (a key at no default path, no
 * agent). The cluster file's user and port win over the config; ProxyJump goes through the
 * jump host; a config ssh cannot read fails the host with ssh's own reason.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Host } from '../../src/cluster/types.js';
import { TransportError } from '../../src/errors.js';
import { noPrompts } from '../../src/transport/prompts.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { authorizedKey, clientHome, removeDir, runCaptured, tempDir, TransportPool, writeAuthorizedKeys } from './helpers/fixture.js';
import { requireSshd, requireTool, TestSshd } from './helpers/sshd.js';
import { etcWithUsers, type TestUser } from './helpers/users.js';

const NODE = '127.0.0.77';
const JUMP = '127.0.0.78';
const PORT = 2222;
const configUser: TestUser = { name: 'k8sprep-cfg', uid: 42431, password: 'unused-pw', sudo: 'nopasswd' };

let dir: string;
let home: string;
let node: TestSshd;
let jump: TestSshd;
const pool = new TransportPool();

/** A host as the loader makes it (so the file's own user/port are known as set), from `ssh:` YAML. */
function host(address: string, ssh = '{}'): Host {
  const yaml = [
    'apiVersion: k8sprep.io/v1alpha1',
    'kind: Cluster',
    'metadata: {name: cfg}',
    'spec:',
    '  kubernetes: {version: "1.30.6"}',
    `  ssh: ${ssh}`,
    `  hosts: [{name: n1, address: ${address}, roles: [control-plane]}]`,
    '',
  ].join('\n');
  const h = parseClusterText(yaml, 'cluster.yaml').hosts[0];
  if (!h) throw new Error('no host');
  return h;
}

function transport(h: Host, opts: { home?: string } = {}): SshTransport {
  return pool.add(new SshTransport(h, { acceptNewHostKeys: false, prompts: noPrompts(), home: opts.home ?? home, env: {}, connectTimeoutMs: 8000 }));
}

/** Who the session logged in as: sudo (NOPASSWD) runs the script as root and names the login in SUDO_USER. */
async function loginOf(t: SshTransport): Promise<string> {
  const r = await runCaptured(t, 'echo "${SUDO_USER:-$(id -un)}"');
  expect(r.code).toBe(0);
  return r.stdout.join('\n');
}

beforeAll(async () => {
  requireSshd();
  requireTool('/usr/bin/ssh', 'openssh-client');
  requireTool('/usr/bin/sudo', 'sudo');
  dir = tempDir('ssh-config');
  chmodSync(dir, 0o755);
  home = clientHome(dir);
  const keys: string[] = [];
  // Not at a default path (~/.ssh/id_*): only the config's IdentityFile finds it.
  const key = authorizedKey(join(dir, 'keys', 'cfg_key'), (mkdirSync(join(dir, 'keys')), keys));
  const authorized = join(dir, 'authorized_keys');
  writeAuthorizedKeys(authorized, keys);
  chmodSync(authorized, 0o644);
  const bindMounts = etcWithUsers(dir, [configUser]);
  const sshdDir = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d);
    return d;
  };
  node = await TestSshd.start({ dir: sshdDir('node'), address: NODE, port: PORT, authorizedKeys: authorized, bindMounts });
  jump = await TestSshd.start({ dir: sshdDir('jump'), address: JUMP, port: PORT, authorizedKeys: authorized, allowTcpForwarding: true });
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[${NODE}]:${PORT} ${node.hostKeyPub}\n[${JUMP}]:${PORT} ${jump.hostKeyPub}\n`);

  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(
    join(dir, 'conf.d', 'nodes.conf'),
    [
      'Host cfg-node cfg-behind',
      `  HostName ${NODE}`,
      `  Port ${PORT}`,
      'Host cfg-wrong-port',
      `  HostName ${NODE}`,
      // Evaluated against the HostName above, as OpenSSH does.
      `Match host ${NODE}`,
      `  User ${configUser.name}`,
      `  IdentityFile ${key}`,
      'Host cfg-behind',
      '  ProxyJump cfg-jump',
      'Host cfg-jump',
      `  HostName ${JUMP}`,
      `  Port ${PORT}`,
      // Without it the catch-all's User below would apply to the jump host too (as in OpenSSH).
      '  User root',
      `  IdentityFile ${key}`,
      '',
    ].join('\n'),
  );
  // First value wins: the included entries above come before this catch-all.
  writeFileSync(join(home, '.ssh', 'config'), [`Include ${join(dir, 'conf.d', '*.conf')}`, 'Host *', '  Port 2299', '  User nobody-here', ''].join('\n'));
}, 60_000);

afterEach(() => pool.closeAll());

afterAll(async () => {
  await node?.stop();
  await jump?.stop();
  removeDir(dir);
});

test("Include + Host + HostName + Port + Match host (User, IdentityFile): the alias reaches the node as the config's user", async () => {
  const t = transport(host('cfg-node'));
  await t.connect();
  expect(await loginOf(t)).toBe(configUser.name);
  expect(node.log()).toMatch(new RegExp(`Accepted publickey for ${configUser.name} from`));
});

test("the cluster file's user and port win over the config's", async () => {
  // The config says User k8sprep-cfg for this address; the file says root.
  const asRoot = transport(host('cfg-node', '{user: root}'));
  await asRoot.connect();
  expect(await loginOf(asRoot)).toBe('root');

  // The config's catch-all Port 2299 (nothing listens) loses against the file's port.
  const refused = transport(host('cfg-wrong-port'));
  const err = await refused.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  expect((err as Error).message).toBe(`cannot connect to n1 (${NODE}:2299): connection refused`);
  const filePort = transport(host('cfg-wrong-port', `{port: ${PORT}}`));
  await filePort.connect();
  expect(await loginOf(filePort)).toBe(configUser.name);
});

test('ProxyJump from the config: the session goes through the jump host', async () => {
  const before = jump.log().length;
  const t = transport(host('cfg-behind'));
  await t.connect();
  expect(await loginOf(t)).toBe(configUser.name);
  await t.close();
  // The jump host logged in root and forwarded a channel to the node (sshd's direct-tcpip line).
  const log = jump.log().slice(before);
  expect(log).toMatch(/Accepted publickey for root from/);
  expect(log).toContain(`target ${NODE} port ${PORT}`);
});

test("a config ssh cannot parse fails the host with ssh's reason and the file's name", async () => {
  const badHome = clientHome(dir, 'bad-home');
  writeFileSync(join(badHome, '.ssh', 'config'), 'Host *\n  NoSuchOption yes\n');
  const t = transport(host('cfg-node'), { home: badHome });
  const err = await t.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  expect((err as Error).message).toMatch(
    new RegExp(`^cannot read ${join(badHome, '.ssh', 'config').replace(/[.]/g, '\\.')} for cfg-node: .*[Bb]ad configuration option: nosuchoption`),
  );
});
