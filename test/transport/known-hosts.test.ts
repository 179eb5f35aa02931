/** known_hosts parsing, matching and appending (fixtures made with OpenSSH's ssh-keygen). */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { globMatch, matchHostPatterns } from '../../src/transport/host-patterns.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  formatKnownHostsLine,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  readKnownHosts,
} from '../../src/transport/known-hosts.js';
import { removeDir, tempDir } from './helpers/fixture.js';

const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIPBvs7j9IL3LVjE2/M3FaQKZ3TyBm+gYu+yFATFTQayD';
const ED25519_FP = 'SHA256:qbFxh7TfeFi56g9VpGlHczLSUt4rc5uIJ4e2CsEuchA'; // ssh-keygen -l -E sha256
const ECDSA = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNwT8OiCRak81dR/FmHSAqH9ogJaFbGXnZVajpIEuOgdhGSc/MxEiwoDVuC8mEs2Pvzu/vNKWLtL8pGy58tD4KE=';
const ed = Buffer.from(ED25519, 'base64');
const ecdsa = Buffer.from(ECDSA, 'base64');

describe('host patterns', () => {
  it('globs like OpenSSH', () => {
    expect(globMatch('*.example.com', 'a.b.example.com')).toBe(true);
    expect(globMatch('10.0.0.?', '10.0.0.7')).toBe(true);
    expect(globMatch('10.0.0.?', '10.0.0.17')).toBe(false);
    expect(globMatch('[10.0.0.*]:2222', '[10.0.0.9]:2222')).toBe(true);
    expect(globMatch('a*b*c', 'aXXbYYc')).toBe(true);
    expect(globMatch('a*b*c', 'aXXbYY')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
  });

  it('negation rules a host out, case does not matter', () => {
    expect(matchHostPatterns('Node1.Example.COM', ['*.example.com'])).toBe(true);
    expect(matchHostPatterns('db.example.com', ['*.example.com', '!db.*'])).toBe(false);
    expect(matchHostPatterns('db.example.com', ['!db.*'])).toBe(false);
    expect(matchHostPatterns('web.example.com', ['!db.*'])).toBe(false);
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, hashed, marker and comma-list lines; skips comments and garbage', () => {
    const text = [
      '# comment',
      '',
      `host.example,10.0.0.1 ssh-ed25519 ${ED25519} comment words`,
      `|1|uV+j1D5qMPM3Z1CLx0ltK/1DC7w=|pEuetxJ6/0f39L6vQRoXuVb0j/Y= ssh-ed25519 ${ED25519}`,
      `@cert-authority *.example ssh-ed25519 ${ED25519}`,
      `@revoked * ecdsa-sha2-nistp256 ${ECDSA}`,
      '@bogus-marker x ssh-ed25519 AAAA',
      'only-two fields',
      'bad ssh-ed25519 !!!notbase64',
      '   ',
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker ?? '', e.hosts.slice(0, 12), e.keyType])).toEqual([
      [3, '', 'host.example', 'ssh-ed25519'],
      [4, '', '|1|uV+j1D5qM', 'ssh-ed25519'],
      [5, 'cert-authority', '*.example', 'ssh-ed25519'],
      [6, 'revoked', '*', 'ecdsa-sha2-nistp256'],
    ]);
  });
});

describe('checkHostKey', () => {
  // Hashed by ssh-keygen -H from "host.example" and "[10.0.0.1]:2222".
  const hashed = parseKnownHosts(
    [
      `|1|uV+j1D5qMPM3Z1CLx0ltK/1DC7w=|pEuetxJ6/0f39L6vQRoXuVb0j/Y= ssh-ed25519 ${ED25519}`,
      `|1|WXY30l6ErxxbaAEwAt6Vhx/Y9EA=|56Z616BzYTiVplN1o2tJIWyJIy8= ssh-ed25519 ${ED25519}`,
    ].join('\n'),
  );

  it('matches hashed names, including [host]:port', () => {
    expect(checkHostKey(hashed, 'host.example', ed).status).toBe('match');
    expect(checkHostKey(hashed, knownHostsName('10.0.0.1', 2222), ed).status).toBe('match');
    expect(checkHostKey(hashed, '10.0.0.1', ed).status).toBe('unknown');
    expect(checkHostKey(hashed, 'other.example', ed).status).toBe('unknown');
  });

  it('reports a changed key with every recorded entry', () => {
    const r = checkHostKey(hashed, 'host.example', ecdsa);
    expect(r.status).toBe('changed');
    if (r.status === 'changed') expect(r.expected.map((e) => e.line)).toEqual([1]);
  });

  it('port 22 is the bare name, other ports [host]:port', () => {
    const entries = parseKnownHosts(`10.0.0.5 ssh-ed25519 ${ED25519}\n`);
    expect(checkHostKey(entries, knownHostsName('10.0.0.5', 22), ed).status).toBe('match');
    expect(checkHostKey(entries, knownHostsName('10.0.0.5', 2200), ed).status).toBe('unknown');
  });

  it('refuses revoked keys even when also listed, and ignores CA lines', () => {
    const entries = parseKnownHosts(`h ssh-ed25519 ${ED25519}\n@revoked h ssh-ed25519 ${ED25519}\n@cert-authority h ecdsa-sha2-nistp256 ${ECDSA}\n`);
    expect(checkHostKey(entries, 'h', ed)).toMatchObject({ status: 'revoked', entry: { line: 2 } });
    expect(checkHostKey(entries, 'h', ecdsa).status).toBe('changed');
  });

  it('a negated pattern excludes the host', () => {
    const entries = parseKnownHosts(`*.example,!db.example ssh-ed25519 ${ED25519}\n`);
    expect(checkHostKey(entries, 'web.example', ed).status).toBe('match');
    expect(checkHostKey(entries, 'db.example', ed).status).toBe('unknown');
  });
});

describe('keys and fingerprints', () => {
  it('fingerprints like ssh-keygen -l', () => {
    expect(fingerprint(ed)).toBe(ED25519_FP);
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOf(ed)).toBe('ssh-ed25519');
    expect(keyTypeOf(ecdsa)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('unknown');
  });

  it('formats a line OpenSSH reads', () => {
    expect(formatKnownHostsLine('[10.0.0.1]:2222', ed)).toBe(`[10.0.0.1]:2222 ssh-ed25519 ${ED25519}`);
  });

  it('offers the recorded key types first (RSA as its SHA-2 signature algorithms)', () => {
    const defaults = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    const recorded = parseKnownHosts('h ssh-rsa AAAAB3NzaC1yc2E=\nh ecdsa-sha2-nistp256 AAAA\n');
    expect(preferredHostKeyAlgorithms(recorded, defaults)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(preferredHostKeyAlgorithms([], defaults)).toEqual(defaults);
    expect(preferredHostKeyAlgorithms(parseKnownHosts('h ssh-dss AAAA\n'), defaults)).toEqual(defaults);
  });
});

describe('appendKnownHost', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('known-hosts');
  });
  afterAll(() => removeDir(dir));

  it('creates the directory 0700 and file 0600, and never interleaves concurrent appends', async () => {
    const path = join(dir, 'new', '.ssh', 'known_hosts');
    const names = Array.from({ length: 40 }, (_, i) => `[10.1.0.${i}]:22${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n, i) => appendKnownHost(path, n, i % 2 ? ed : ecdsa)));
    expect(statSync(join(dir, 'new', '.ssh')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.sort()).toEqual(names.map((n, i) => formatKnownHostsLine(n, i % 2 ? ed : ecdsa)).sort());
    const entries = await readKnownHosts(path);
    names.forEach((n, i) => expect(checkHostKey(entries, n, i % 2 ? ed : ecdsa).status).toBe('match'));
  });

  it('does not add an entry that is already there', async () => {
    const path = join(dir, 'dup');
    await appendKnownHost(path, 'h', ed);
    await appendKnownHost(path, 'h', ed);
    expect(readFileSync(path, 'utf8')).toBe(`h ssh-ed25519 ${ED25519}\n`);
  });

  it('reads a missing file as empty', async () => {
    expect(await readKnownHosts(join(dir, 'missing'))).toEqual([]);
  });
});
