/**
 * Host key verification against a real sshd on 127.0.0.67:2222: unknown keys refused
 * (with OpenSSH's fingerprint), accepted and recorded with acceptNewHostKeys, hashed
 * entries, and a changed key always refused.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostKeyError } from '../../src/errors.js';
import { noPrompts } from '../../src/transport/prompts.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import { authorizedKey, clientHome, makeHost, removeDir, runCaptured, tempDir, TransportPool, writeAuthorizedKeys } from './helpers/fixture.js';
import { requireSshd, run, TestSshd } from './helpers/sshd.js';

const ADDRESS = '127.0.0.67';
const PORT = 2222;
const NAME = `[${ADDRESS}]:${PORT}`;

let dir: string;
let home: string;
let key: string;
let sshd: TestSshd;
const pool = new TransportPool();

function transport(knownHostsPath: string, opts: Partial<SshTransportOptions> = {}): SshTransport {
  const host = makeHost('node1', ADDRESS, { port: PORT, identityFile: key });
  return pool.add(new SshTransport(host, { acceptNewHostKeys: false, prompts: noPrompts(), home, env: {}, knownHostsPath, connectTimeoutMs: 5000, ...opts }));
}

/** OpenSSH's own fingerprint of a public key file, e.g. `SHA256:abc...`. */
function sshKeygenFingerprint(pubPath: string): string {
  return run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath]).split(/\s+/)[1] ?? '';
}

let n = 0;
function knownHostsFile(content?: string): string {
  const path = join(dir, `known_hosts_${++n}`);
  if (content !== undefined) writeFileSync(path, content);
  return path;
}

beforeAll(async () => {
  requireSshd();
  dir = tempDir('hostkeys');
  home = clientHome(dir);
  const keys: string[] = [];
  key = authorizedKey(join(dir, 'client_key'), keys);
  writeAuthorizedKeys(join(dir, 'authorized_keys'), keys);
  sshd = await TestSshd.start({ dir, address: ADDRESS, port: PORT, authorizedKeys: join(dir, 'authorized_keys') });
});

afterEach(() => pool.closeAll());

afterAll(async () => {
  await sshd?.stop();
  removeDir(dir);
});

describe('known_hosts verification', () => {
  it('connects when known_hosts has the key', async () => {
    const r = await runCaptured(transport(knownHostsFile(`${NAME} ${sshd.hostKeyPub}\n`)), 'echo ok');
    expect(r.stdout).toEqual(['ok']);
  });

  it('refuses an unknown host key, showing its SHA256 fingerprint and how to accept it', async () => {
    const path = knownHostsFile('# nothing yet\n');
    const err = await transport(path)
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(HostKeyError);
    const message = (err as Error).message;
    expect(message).toContain(sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`));
    expect(message).toMatch(/^unknown host key for node1 \(127\.0\.0\.67:2222\): ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} is not in /);
    expect(message).toContain('--accept-new-host-keys');
    expect(message).toContain(path);
    expect(readFileSync(path, 'utf8')).toBe('# nothing yet\n');
  });

  it('ignores other hosts and ports, @cert-authority lines and garbage without crashing', async () => {
    const other = run('ssh-keygen', ['-y', '-f', key]).trim();
    const path = knownHostsFile(
      [
        `${ADDRESS} ${sshd.hostKeyPub}`, // port 22 entry: does not apply to :2222
        `[${ADDRESS}]:2223 ${sshd.hostKeyPub}`,
        `@cert-authority ${NAME} ${other}`,
        'this line is not a known_hosts entry',
        `@unknown-marker ${NAME} ${sshd.hostKeyPub}`,
      ].join('\n'),
    );
    await expect(transport(path).connect()).rejects.toThrow(/^unknown host key/);
  });

  it('with acceptNewHostKeys records the key (dir 0700, file 0600), and later connections pass without the flag', async () => {
    const path = join(dir, 'fresh', 'ssh', 'known_hosts');
    const r = await runCaptured(transport(path, { acceptNewHostKeys: true }), 'echo first');
    expect(r.stdout).toEqual(['first']);
    expect(statSync(join(dir, 'fresh', 'ssh')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const [type, b64] = sshd.hostKeyPub.split(' ');
    expect(readFileSync(path, 'utf8')).toBe(`${NAME} ${type} ${b64}\n`);
    // OpenSSH reads what we wrote.
    expect(run('ssh-keygen', ['-F', NAME, '-f', path])).toContain(b64);
    expect((await runCaptured(transport(path), 'echo second')).stdout).toEqual(['second']);
  });

  it('appends to an existing file (without a final newline) and keeps its entries', async () => {
    const path = knownHostsFile('other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOQ0rgV9vCn7Tt9N0nCl4VVRmQ5k9Fp0Ff7d1b6V5zA7');
    await transport(path, { acceptNewHostKeys: true }).connect();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toMatch(/^other\.example /);
    expect(lines[1]).toMatch(new RegExp(`^\\[${ADDRESS.replace(/\./g, '\\.')}\\]:${PORT} ssh-ed25519 `));
    expect(lines[2]).toBe('');
  });

  it('records a new key once when several connections accept it at the same time', async () => {
    const path = join(dir, 'concurrent_known_hosts');
    const all = Array.from({ length: 6 }, () => transport(path, { acceptNewHostKeys: true }));
    await Promise.all(all.map((t) => t.connect()));
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('matches hashed entries (ssh-keygen -H)', async () => {
    const path = knownHostsFile(`${NAME} ${sshd.hostKeyPub}\n`);
    run('ssh-keygen', ['-H', '-f', path]);
    expect(readFileSync(path, 'utf8')).toMatch(/^\|1\|/);
    expect((await runCaptured(transport(path), 'echo hashed')).stdout).toEqual(['hashed']);
  });

  it('matches wildcard and comma-list entries', async () => {
    const path = knownHostsFile(`other,[127.0.0.6?]:2222 ${sshd.hostKeyPub}\n`);
    expect((await runCaptured(transport(path), 'echo wild')).stdout).toEqual(['wild']);
  });

  it('refuses a revoked key', async () => {
    const path = knownHostsFile(`${NAME} ${sshd.hostKeyPub}\n@revoked * ${sshd.hostKeyPub}\n`);
    await expect(transport(path).connect()).rejects.toThrow(/marked @revoked .* line 2/);
  });

  it('prefers the key type recorded for the host when the server has several', async () => {
    const rsaDir = join(dir, 'rsa');
    mkdirSync(rsaDir);
    // A second server on the same address with ed25519 AND rsa host keys.
    const rsaKey = join(rsaDir, 'ssh_host_rsa_key');
    run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsaKey]);
    const two = await TestSshd.start({
      dir: rsaDir,
      address: ADDRESS,
      port: PORT + 1,
      authorizedKeys: join(dir, 'authorized_keys'),
      extraConfig: [`HostKey ${rsaKey}`],
    });
    try {
      const rsaPub = readFileSync(`${rsaKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
      const path = knownHostsFile(`[${ADDRESS}]:${PORT + 1} ${rsaPub}\n`);
      const host = makeHost('node1', ADDRESS, { port: PORT + 1, identityFile: key });
      const t = pool.add(new SshTransport(host, { acceptNewHostKeys: false, prompts: noPrompts(), home, env: {}, knownHostsPath: path }));
      expect((await runCaptured(t, 'echo rsa')).stdout).toEqual(['rsa']);
    } finally {
      await pool.closeAll();
      await two.stop();
    }
  });

  it('always refuses a changed host key, showing both fingerprints, the file and the line', async () => {
    const oldPub = `${sshd.hostKeyPath}.old.pub`;
    writeFileSync(oldPub, `${sshd.hostKeyPub}\n`);
    const oldFingerprint = sshKeygenFingerprint(oldPub);
    const path = knownHostsFile(`# header\n${NAME} ${sshd.hostKeyPub}\n`);
    await sshd.restart({ newHostKey: true });
    const newFingerprint = sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`);
    expect(newFingerprint).not.toBe(oldFingerprint);

    for (const acceptNewHostKeys of [false, true]) {
      const err = await transport(path, { acceptNewHostKeys })
        .connect()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(HostKeyError);
      const message = (err as Error).message;
      expect(message).toMatch(/^HOST KEY CHANGED for node1 \(127\.0\.0\.67:2222\)/);
      expect(message).toContain(`offered ssh-ed25519 ${newFingerprint}`);
      expect(message).toContain(`expects ssh-ed25519 ${oldFingerprint} (${path} line 2)`);
    }
    expect(readFileSync(path, 'utf8')).toBe(`# header\n${NAME} ${readFileSync(oldPub, 'utf8').trim()}\n`);
  });
});
