/**
 * Non-root users over SSH against real sshds on 127.0.0.69: sudo with and without a
 * password (sent on stdin), NOPASSWD sudo, password and keyboard-interactive login.
 * The users exist only inside the sshds' mount namespaces (helpers/users.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../../src/errors.js';
import { interactivePrompts, noPrompts } from '../../src/transport/prompts.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import { authorizedKey, clientHome, makeHost, removeDir, runCaptured, tempDir, TransportPool, writeAuthorizedKeys } from './helpers/fixture.js';
import { requireSshd, requireTool, TestSshd } from './helpers/sshd.js';
import { etcWithUsers, type TestUser } from './helpers/users.js';

const ADDRESS = '127.0.0.69';
const PASSWORD_PORT = 2222;
const KBD_PORT = 2223;
const admin: TestUser = { name: 'k8sprep-admin', uid: 42421, password: 'admin pw $(touch /tmp/k8sprep-pwned-pw)', sudo: 'password' };
const deploy: TestUser = { name: 'k8sprep-deploy', uid: 42422, password: 'deploy-pw', sudo: 'nopasswd' };

let dir: string;
let home: string;
let key: string;
let passwordSshd: TestSshd;
let kbdSshd: TestSshd;
const pool = new TransportPool();

function transport(user: TestUser, ssh: { identityFile?: string; passwordEnv?: string; port?: number }, opts: Partial<SshTransportOptions> = {}): SshTransport {
  const host = makeHost('node1', ADDRESS, { user: user.name, port: PASSWORD_PORT, ...ssh });
  return pool.add(new SshTransport(host, { acceptNewHostKeys: false, prompts: noPrompts(), home, env: {}, connectTimeoutMs: 8000, ...opts }));
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as Error;
}

beforeAll(async () => {
  requireSshd();
  requireTool('/usr/bin/sudo', 'sudo');
  requireTool('/usr/bin/openssl', 'openssl');
  dir = tempDir('sudo');
  // The users' sshd sessions must reach their homes and the authorized_keys file.
  chmodSync(dir, 0o755);
  home = clientHome(dir, 'client');
  const keys: string[] = [];
  key = authorizedKey(join(dir, 'client', 'key'), keys);
  writeAuthorizedKeys(join(dir, 'authorized_keys'), keys);
  chmodSync(join(dir, 'authorized_keys'), 0o644);
  const bindMounts = etcWithUsers(dir, [admin, deploy]);
  const common = { address: ADDRESS, authorizedKeys: join(dir, 'authorized_keys'), bindMounts };
  const sshdDir = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d);
    return d;
  };
  passwordSshd = await TestSshd.start({ ...common, dir: sshdDir('sshd-password'), port: PASSWORD_PORT, extraConfig: ['PasswordAuthentication yes'] });
  kbdSshd = await TestSshd.start({ ...common, dir: sshdDir('sshd-kbd'), port: KBD_PORT, extraConfig: ['UsePAM yes', 'KbdInteractiveAuthentication yes'] });
  writeFileSync(
    join(home, '.ssh', 'known_hosts'),
    `[${ADDRESS}]:${PASSWORD_PORT} ${passwordSshd.hostKeyPub}\n[${ADDRESS}]:${KBD_PORT} ${kbdSshd.hostKeyPub}\n`,
  );
});

afterEach(() => pool.closeAll());

afterAll(async () => {
  await passwordSshd?.stop();
  await kbdSshd?.stop();
  removeDir(dir);
});

test("the test users exist only inside the sshds' namespaces", () => {
  expect(spawnSync('id', [admin.name]).status).not.toBe(0);
});

describe('sudo for a non-root user', () => {
  it('without a password configured, fails clearly naming the host and the fixes', async () => {
    const err = await failure(transport(admin, { identityFile: key }).runScript('id -u\n', []));
    expect(err.message).toBe(
      `sudo on node1 needs a password for user ${admin.name}: set ssh.passwordEnv in the cluster file and export that variable, or pass --ask-pass (or allow ${admin.name} NOPASSWD sudo, or connect as root)`,
    );
  });

  it('sends the passwordEnv password to sudo -S on stdin and runs the script as root, whole', async () => {
    const t = transport(admin, { identityFile: key, passwordEnv: 'K8SPREP_TEST_PW' }, { env: { K8SPREP_TEST_PW: admin.password } });
    const r = await runCaptured(t, 'echo "first line"\nid -u\nprintf "%s\\n" "$@"\n', ['a b', '$(id)']);
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toEqual(['first line', '0', 'a b', '$(id)']);
    // A second script on the same connection asks sudo again (new session) and works too.
    expect((await runCaptured(t, 'id -un')).stdout).toEqual(['root']);
    // The password (which looks like a command substitution) was never interpreted by a shell.
    expect(existsSync('/tmp/k8sprep-pwned-pw')).toBe(false);
  });

  it('says when sudo rejects the password, without showing it', async () => {
    const t = transport(admin, { identityFile: key, passwordEnv: 'K8SPREP_TEST_PW' }, { env: { K8SPREP_TEST_PW: 'wrong-value' } });
    const err = await failure(t.runScript('id -u\n', []));
    expect(err.message).toBe(`sudo on node1 rejected the password for user ${admin.name} (from $K8SPREP_TEST_PW)`);
  });

  it('with NOPASSWD sudo the password line is swallowed, not executed', async () => {
    const t = transport(deploy, { identityFile: key, passwordEnv: 'K8SPREP_TEST_PW' }, { env: { K8SPREP_TEST_PW: deploy.password } });
    const r = await runCaptured(t, 'echo "first line"\nid -u\n');
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toEqual(['first line', '0']);
  });

  it('with NOPASSWD sudo and no password, uses sudo -n', async () => {
    const r = await runCaptured(transport(deploy, { identityFile: key }), 'id -u');
    expect(r.stdout).toEqual(['0']);
  });
});

describe('password logins', () => {
  it('logs in with the password from passwordEnv and reuses it for sudo', async () => {
    const t = transport(admin, { passwordEnv: 'K8SPREP_TEST_PW' }, { env: { K8SPREP_TEST_PW: admin.password } });
    expect((await runCaptured(t, 'id -u')).stdout).toEqual(['0']);
    expect(passwordSshd.log()).toContain(`Accepted password for ${admin.name}`);
  });

  it('asks the --ask-pass password once for login and sudo', async () => {
    let asked = 0;
    const prompts = interactivePrompts({ askPass: true, isTTY: true, ask: async () => (asked++, admin.password) });
    const t = transport(admin, {}, { prompts });
    expect((await runCaptured(t, 'id -u')).stdout).toEqual(['0']);
    expect((await runCaptured(transport(admin, {}, { prompts }), 'id -u')).stdout).toEqual(['0']);
    expect(asked).toBe(1);
  });

  it('logs in with keyboard-interactive (PAM) when the server offers only that', async () => {
    const t = transport(admin, { passwordEnv: 'K8SPREP_TEST_PW', port: KBD_PORT }, { env: { K8SPREP_TEST_PW: admin.password } });
    expect((await runCaptured(t, 'id -un')).stdout).toEqual(['root']);
    expect(kbdSshd.log()).toMatch(new RegExp(`Accepted keyboard-interactive/pam for ${admin.name}`));
  });

  it('a wrong password lists the methods tried, not the password', async () => {
    const t = transport(admin, { passwordEnv: 'K8SPREP_TEST_PW' }, { env: { K8SPREP_TEST_PW: 'not-the-password' } });
    const err = await failure(t.connect());
    expect(err.message).toBe(`authentication to node1 (127.0.0.69:2222) as ${admin.name} failed: tried password`);
  });
});
