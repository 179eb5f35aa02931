/**
 * kubeadm's `--discovery-token-ca-cert-hash`: `sha256:` + hex SHA-256 of the CA
 * certificate's DER SubjectPublicKeyInfo (what joining nodes pin).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { pemBlock } from './pem.js';

export function caCertHash(caCertPem: string): string {
  const block = pemBlock(caCertPem, 'CERTIFICATE');
  if (!block) throw new Error('no CERTIFICATE block in the CA certificate');
  const spki = new X509Certificate(block).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
