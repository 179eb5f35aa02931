/**
 * `caCertHash` against the openssl pipeline kubeadm documents, and renewal's primitive
 * `reissueCert` (same subject, SANs and EKU; new key; given validity; same CA), checked
 * with openssl.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePki } from '../../src/pki/generate.js';
import { caCertHash } from '../../src/pki/hash.js';
import { loadCa, reissueCert } from '../../src/pki/issue.js';
import { PkiError } from '../../src/pki/errors.js';
import { testCluster, tempDir } from './fixture.js';
import { HandMadePki } from '../hosts/kube-fixture.js';
import { certPublicKey, describeCert, keyPublicKey, requireTool, run, verifyChain } from './tools.js';

let tmp: ReturnType<typeof tempDir>;
let dir = '';
let other = '';

beforeAll(async () => {
  requireTool('openssl');
  requireTool('sha256sum');
  tmp = tempDir('k8sprep-hash-');
  dir = join(tmp.path, 'pki');
  other = join(tmp.path, 'other');
  await generatePki(testCluster({ name: 'hash' }), dir);
  await generatePki(testCluster({ name: 'other', hosts: [{ name: 'o1', address: '10.9.0.1' }] }), other);
});
afterAll(() => tmp?.remove());

async function opensslHash(caPath: string): Promise<string> {
  const r = await run('bash', ['-c', `set -o pipefail; openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum`, 'hash', caPath]);
  expect(r.code).toBe(0);
  return `sha256:${r.stdout.split(' ')[0]}`;
}

test('caCertHash equals openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum', async () => {
  const hash = caCertHash(readFileSync(join(dir, 'ca.crt'), 'utf8'));
  expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(hash).toBe(await opensslHash(join(dir, 'ca.crt')));
  // The same for CAs k8sprep did not make (an openssl EC CA).
  await new HandMadePki(tmp.path).ca('ec-ca', 'other-ca');
  const ec = join(tmp.path, 'ec-ca.crt');
  expect(caCertHash(readFileSync(ec, 'utf8'))).toBe(await opensslHash(ec));
});

test('reissueCert keeps subject, SANs and EKU, makes a new key, uses the given validity, same CA', async () => {
  const ca = loadCa('ca', readFileSync(join(dir, 'ca.crt'), 'utf8'), readFileSync(join(dir, 'ca.key'), 'utf8'));
  const oldPath = join(dir, 'nodes/cp2/pki/apiserver.crt');
  const now = new Date();
  const { certPem, keyPem } = await reissueCert(readFileSync(oldPath, 'utf8'), ca, { bits: 2048, validity: { hours: 90 * 24, now } });
  const newCrt = join(tmp.path, 'apiserver.crt');
  const newKey = join(tmp.path, 'apiserver.key');
  writeFileSync(newCrt, certPem);
  writeFileSync(newKey, keyPem, { mode: 0o600 });
  const [a, b] = await Promise.all([describeCert(oldPath), describeCert(newCrt)]);
  expect(b.subject).toBe(a.subject);
  expect(b.issuer).toBe(a.issuer);
  expect(b.ext['Subject Alternative Name']).toEqual(a.ext['Subject Alternative Name']);
  expect(b.ext['Extended Key Usage']).toEqual(a.ext['Extended Key Usage']);
  expect(b.ext['Key Usage']).toEqual(a.ext['Key Usage']);
  expect(b.serial).not.toBe(a.serial);
  expect(b.notAfter.getTime() - now.getTime()).toBeGreaterThan(90 * 86400_000 - 2000);
  expect(b.notAfter.getTime() - now.getTime()).toBeLessThan(90 * 86400_000 + 2000);
  expect((await verifyChain(join(dir, 'ca.crt'), newCrt, 'sslserver')).stdout.trim()).toBe(`${newCrt}: OK`);
  expect(await keyPublicKey(newKey)).toBe(await certPublicKey(newCrt));
  expect(await certPublicKey(newCrt)).not.toBe(await certPublicKey(oldPath));
});

test('reissueCert refuses a certificate its CA did not issue', async () => {
  const ca = loadCa('ca', readFileSync(join(dir, 'ca.crt'), 'utf8'), readFileSync(join(dir, 'ca.key'), 'utf8'));
  const foreign = readFileSync(join(other, 'nodes/o1/pki/apiserver.crt'), 'utf8');
  await expect(reissueCert(foreign, ca, { bits: 2048, validity: { hours: 1, now: new Date() } })).rejects.toThrow(PkiError);
});

test('loadCa refuses a leaf as CA and a key that is not the CA key', () => {
  const leaf = readFileSync(join(dir, 'nodes/cp1/pki/apiserver.crt'), 'utf8');
  const leafKey = readFileSync(join(dir, 'nodes/cp1/pki/apiserver.key'), 'utf8');
  expect(() => loadCa('ca', leaf, leafKey)).toThrow(/not a CA/);
  expect(() => loadCa('ca', readFileSync(join(dir, 'ca.crt'), 'utf8'), leafKey)).toThrow(/does not match/);
});
