/**
 * RSA keys. Generation dominates the cost of a PKI, so keys come from Node's asynchronous
 * `crypto.generateKeyPair` (native, on the libuv thread pool, many in parallel) rather
 * than node-forge's JavaScript generator (DESIGN §4). Keys are kept as PEM, in the
 * encodings kubeadm writes: private keys PKCS#1 `RSA PRIVATE KEY`, public keys PKIX
 * `PUBLIC KEY` (sa.pub).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject, type X509Certificate } from 'node:crypto';

export interface KeyPairPem {
  /** PKCS#1 `-----BEGIN RSA PRIVATE KEY-----`. */
  privateKey: string;
  /** PKIX `-----BEGIN PUBLIC KEY-----`. */
  publicKey: string;
}

/**
 * Starts one RSA key generation now and returns its promise. Call it for every key a run
 * needs before awaiting any of them, so they all queue on the thread pool at once.
 */
export function generateRsaKeyPair(bits: number): Promise<KeyPairPem> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ privateKey, publicKey })),
    );
  });
}

/** Parses a private key PEM (PKCS#1 or PKCS#8); throws with a message that never includes the key. */
export function privateKeyObject(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    // eslint-disable-next-line preserve-caught-error -- the cause is left out so no parser detail about the key travels with the error
    throw new Error(`not a readable private key (${(err as NodeJS.ErrnoException).code ?? 'parse error'})`);
  }
}

/** The PKIX public key PEM of a private key (sa.pub from sa.key). */
export function publicKeyPemOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyObject(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

/** True when the private key belongs to the certificate (same public key). */
export function keyMatchesCert(privateKeyPem: string, cert: X509Certificate): boolean {
  try {
    return cert.checkPrivateKey(privateKeyObject(privateKeyPem));
  } catch {
    return false;
  }
}

/** True when the PKIX public key PEM is the private key's public half. */
export function publicKeyMatches(privateKeyPem: string, publicKeyPem: string): boolean {
  try {
    const derived = createPublicKey(privateKeyObject(privateKeyPem)).export({ type: 'spki', format: 'der' });
    const given = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
    return derived.equals(given);
  } catch {
    return false;
  }
}
