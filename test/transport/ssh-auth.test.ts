/**
 * Client authentication against a real sshd on 127.0.0.66:2222: encrypted keys
 * (passphrase from the environment or asked once), ssh-agent, ~/.ssh/config's
 * IdentityFile, default keys, and a failure message that lists what was tried.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import { TransportError } from '../../src/errors.js';
import { interactivePrompts, noPrompts, type CredentialPrompts } from '../../src/transport/prompts.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import { authorizedKey, clientHome, makeHost, removeDir, runCaptured, tempDir, TransportPool, writeAuthorizedKeys } from './helpers/fixture.js';
import { keygen, killQuietly, requireSshd, run, TestSshd } from './helpers/sshd.js';

const ADDRESS = '127.0.0.66';
const PORT = 2222;
const PASSPHRASE = 'correct horse battery staple';

let dir: string;
let plainKey: string;
let encryptedKey: string;
let agentKey: string;
let strangerKey: string;
let sshd: TestSshd;
const pool = new TransportPool();

/** A fresh client HOME that already trusts the server's host key. */
let homes = 0;
function newHome(): string {
  const home = clientHome(dir, `home${++homes}`);
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[${ADDRESS}]:${PORT} ${sshd.hostKeyPub}\n`);
  return home;
}

function transport(ssh: { identityFile?: string; passwordEnv?: string }, opts: Partial<SshTransportOptions> & { home: string }): SshTransport {
  const host = makeHost('node1', ADDRESS, { port: PORT, ...ssh });
  return pool.add(new SshTransport(host, { acceptNewHostKeys: false, prompts: noPrompts(), env: {}, connectTimeoutMs: 5000, ...opts }));
}

async function failure(t: SshTransport): Promise<Error> {
  const err = await t.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as Error;
}

beforeAll(async () => {
  requireSshd();
  dir = tempDir('auth');
  const keys: string[] = [];
  plainKey = authorizedKey(join(dir, 'plain_key'), keys);
  encryptedKey = authorizedKey(join(dir, 'encrypted_key'), keys, 'ed25519', PASSPHRASE);
  agentKey = authorizedKey(join(dir, 'agent_key'), keys, 'rsa');
  keygen((strangerKey = join(dir, 'stranger_key')), 'ed25519');
  writeAuthorizedKeys(join(dir, 'authorized_keys'), keys);
  sshd = await TestSshd.start({ dir, address: ADDRESS, port: PORT, authorizedKeys: join(dir, 'authorized_keys') });
});

afterEach(() => pool.closeAll());

afterAll(async () => {
  await sshd?.stop();
  removeDir(dir);
});

describe('encrypted identityFile', () => {
  it('uses the passphrase from K8SPREP_SSH_KEY_PASSPHRASE without asking', async () => {
    const prompts: CredentialPrompts = { keyPassphrase: () => Promise.reject(new Error('must not ask')), password: () => Promise.resolve(undefined) };
    const t = transport({ identityFile: encryptedKey }, { home: newHome(), env: { K8SPREP_SSH_KEY_PASSPHRASE: PASSPHRASE }, prompts });
    expect((await runCaptured(t, 'echo in')).stdout).toEqual(['in']);
  });

  it('asks once per key file per process, however many hosts connect at once', async () => {
    const asked: string[] = [];
    const prompts = interactivePrompts({
      askPass: false,
      isTTY: true,
      ask: async (message) => {
        asked.push(message);
        await sleep(50);
        return PASSPHRASE;
      },
    });
    const home = newHome();
    // A copy no other test decrypted in this process (decrypted keys are kept per path).
    const key = join(dir, 'encrypted_key_copy');
    copyFileSync(encryptedKey, key);
    const all = [1, 2, 3].map(() => transport({ identityFile: key }, { home, prompts }));
    // Decrypting (bcrypt rounds) happens once too, not once per host.
    const parseKey = ssh2.utils.parseKey;
    let decryptions = 0;
    ssh2.utils.parseKey = ((data: Buffer | string, passphrase?: Buffer | string) => {
      if (passphrase !== undefined) decryptions++;
      return parseKey(data, passphrase);
    }) as typeof parseKey;
    try {
      await Promise.all(all.map((t) => t.connect()));
    } finally {
      ssh2.utils.parseKey = parseKey;
    }
    expect(asked).toEqual([`Passphrase for ${key}:`]);
    expect(decryptions).toBe(1);
  });

  it('fails clearly without a terminal and without the variable', async () => {
    const t = transport({ identityFile: encryptedKey }, { home: newHome(), prompts: interactivePrompts({ askPass: false, isTTY: false }) });
    const err = await failure(t);
    expect(err.message).toBe(
      `cannot log in to node1 (127.0.0.66:2222) as root: identityFile ${encryptedKey}: it is encrypted and there is no terminal to ask for its passphrase: set K8SPREP_SSH_KEY_PASSPHRASE`,
    );
  });

  it('says the passphrase is wrong, without showing it', async () => {
    const t = transport({ identityFile: encryptedKey }, { home: newHome(), env: { K8SPREP_SSH_KEY_PASSPHRASE: 'wrong-secret-value' } });
    const err = await failure(t);
    expect(err.message).toContain(`identityFile ${encryptedKey}: the passphrase from K8SPREP_SSH_KEY_PASSPHRASE does not decrypt it`);
    expect(err.message).not.toContain('wrong-secret-value');
  });
});

describe('ssh-agent', () => {
  let agent: ChildProcess | undefined;
  let socket: string;

  beforeAll(async () => {
    socket = join(dir, 'agent.sock');
    // -D: stays in the foreground, so the PID we hold is the agent's own.
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    const env = { ...process.env, SSH_AUTH_SOCK: socket };
    // The socket file appears before the agent listens: wait until `ssh-add -l` reaches it (1 = no keys yet).
    for (let i = 0; i < 200 && spawnSync('ssh-add', ['-l'], { env }).status !== 1; i++) await sleep(25);
    run('ssh-add', ['-q', agentKey], { env });
  });

  afterAll(() => {
    if (agent?.pid) killQuietly(agent.pid, 'SIGTERM');
  });

  it('logs in with a key held by the agent (SSH_AUTH_SOCK)', async () => {
    const t = transport({}, { home: newHome(), env: { SSH_AUTH_SOCK: socket } });
    expect((await runCaptured(t, 'echo agent')).stdout).toEqual(['agent']);
    expect(sshd.log()).toMatch(/Accepted publickey for root from 127\.0\.0\.1 port \d+ ssh2: RSA/);
  });

  it('falls back to the agent after a refused identityFile', async () => {
    const t = transport({ identityFile: strangerKey }, { home: newHome(), env: { SSH_AUTH_SOCK: socket } });
    expect((await runCaptured(t, 'echo fallback')).stdout).toEqual(['fallback']);
  });

  it('carries on past an agent socket that does not answer', async () => {
    const t = transport({ identityFile: plainKey }, { home: newHome(), env: { SSH_AUTH_SOCK: join(dir, 'no-such.sock') } });
    await t.connect();
  });
});

describe('~/.ssh/config and default keys', () => {
  it("uses ~/.ssh/config's IdentityFile for the host", async () => {
    const home = newHome();
    copyFileSync(plainKey, join(home, '.ssh', 'cluster_key'));
    writeFileSync(join(home, '.ssh', 'config'), `Host other\n  IdentityFile ~/.ssh/nope\n\nHost 127.0.0.6*\n  IdentityFile ~/.ssh/cluster_key\n`);
    expect((await runCaptured(transport({}, { home }), 'echo config')).stdout).toEqual(['config']);
  });

  it('uses ~/.ssh/id_ed25519 when nothing else is configured', async () => {
    const home = newHome();
    copyFileSync(plainKey, join(home, '.ssh', 'id_ed25519'));
    expect((await runCaptured(transport({}, { home }), 'echo default')).stdout).toEqual(['default']);
  });
});

describe('authentication failure', () => {
  it('lists what was tried, in order, and no secret', async () => {
    const home = newHome();
    copyFileSync(strangerKey, join(home, '.ssh', 'config_key'));
    copyFileSync(strangerKey, join(home, '.ssh', 'id_rsa'));
    writeFileSync(join(home, '.ssh', 'config'), 'Host *\n  IdentityFile ~/.ssh/config_key\n');
    const t = transport({ identityFile: strangerKey, passwordEnv: 'K8SPREP_TEST_PW' }, { home, env: { SSH_AUTH_SOCK: join(dir, 'no-such.sock') } });
    const err = await failure(t);
    expect(err.message).toBe(
      `authentication to node1 (127.0.0.66:2222) as root failed: tried key ${strangerKey}, ssh-agent, ` +
        `key ${join(home, '.ssh', 'config_key')} (~/.ssh/config), key ${join(home, '.ssh', 'id_rsa')} (default); ` +
        `skipped ssh-agent: Failed to connect to agent; $K8SPREP_TEST_PW is not set`,
    );
  });

  it('says when there was nothing to try', async () => {
    const err = await failure(transport({}, { home: newHome() }));
    expect(err.message).toMatch(/failed: no credentials to try; set ssh\.identityFile, load a key into ssh-agent/);
  });
});
