/**
 * Judging one existing certificate: is it intact (signed by its CA, key matches), does it
 * still say what the cluster wants (subject, SANs, usages), and how long has it left.
 * Shared by `generatePki` (keep or re-issue) and `inspectPki` (report problems).
 */
import { keyMatchesCert } from './keys.js';
import { formatSubject, sameEku, sameSubject, sansDifference } from './names.js';
import type { CertSpec } from './spec.js';
import { type CertFacts, tryReadCert } from './x509.js';

/** A leaf is re-issued once less than this fraction of its own lifetime remains (≈36 days of a 1-year cert). */
export const RENEW_WITHIN_FRACTION = 0.1;

const LEAF_USAGE = ['digitalSignature', 'keyEncipherment'];
const CA_USAGE = ['digitalSignature', 'keyEncipherment', 'keyCertSign'];

/** Every way `cert` differs from what the cluster wants, one readable reason each. */
function certDrift(cert: CertFacts, spec: CertSpec, opts: { isCa: boolean; keyBits?: number }): string[] {
  const reasons: string[] = [];
  if (!sameSubject(cert.subject, spec.subject)) {
    reasons.push(`subject is ${formatSubject(cert.subject)}, the cluster wants ${formatSubject(spec.subject)}`);
  }
  const sans = sansDifference(cert.sans, spec.sans);
  if (sans) reasons.push(`SANs no longer match the cluster: ${sans}`);
  if (!sameEku(cert.eku, spec.eku)) {
    reasons.push(`extended key usage is ${cert.eku.join(',') || 'none'}, the cluster wants ${spec.eku.join(',') || 'none'}`);
  }
  const usage = opts.isCa ? CA_USAGE : LEAF_USAGE;
  if (!sameEku(cert.keyUsage, usage)) reasons.push(`key usage is ${cert.keyUsage.join(',') || 'none'}, expected ${usage.join(',')}`);
  if ((cert.isCa === true) !== opts.isCa) reasons.push(opts.isCa ? 'is not a CA certificate' : 'is a CA certificate, expected a leaf');
  if (opts.keyBits !== undefined && cert.rsaBits !== opts.keyBits) {
    reasons.push(`key is ${cert.keyAlgorithm}, the cluster wants RSA ${opts.keyBits}`);
  }
  return reasons;
}

/** Why `cert` is not a valid child of `ca`, or undefined. */
function chainProblem(cert: CertFacts, ca: CertFacts, caName: string): string | undefined {
  const issued = cert.x509.checkIssued(ca.x509);
  let verified: boolean;
  try {
    verified = issued && cert.x509.verify(ca.x509.publicKey);
  } catch {
    verified = false;
  }
  return verified ? undefined : `not signed by its CA (${caName})`;
}

export function keyProblem(cert: CertFacts, keyPem: string): string | undefined {
  return keyMatchesCert(keyPem, cert.x509) ? undefined : 'private key does not match the certificate';
}

/**
 * The one judgement of an existing leaf (or kubeconfig client certificate) against what the
 * cluster wants: readable, signed by its CA, the key its own, and the subject, SANs, usages and
 * key size the spec says. `certs generate` (keep or re-issue) and `certs check` (report) add their
 * own view of time to it. `missingKey` is how to say the key is absent. Without `spec` (a
 * kubeadm tree checked without a cluster file) only what needs no cluster is judged.
 */
export function judgeLeaf(
  certText: string,
  keyText: string | undefined,
  spec: CertSpec | undefined,
  ca: { cert: CertFacts; name: string } | undefined,
  opts: { keyBits: number; missingKey: string },
): { cert?: CertFacts; problems: string[] } {
  const cert = tryReadCert(certText);
  if (typeof cert === 'string') return { problems: [cert] };
  const problems: string[] = [];
  const chain = ca ? chainProblem(cert, ca.cert, ca.name) : undefined;
  if (chain) problems.push(chain);
  const key = keyText === undefined ? opts.missingKey : keyProblem(cert, keyText);
  if (key) problems.push(key);
  if (spec) problems.push(...certDrift(cert, spec, { isCa: false, keyBits: opts.keyBits }));
  return { cert, problems };
}

export interface Expiry {
  residualMs: number;
  expired: boolean;
  /** Less than `fraction` of the certificate's own lifetime remains. */
  renewDue: boolean;
}

export function expiryOf(cert: CertFacts, now: Date, fraction = RENEW_WITHIN_FRACTION): Expiry {
  const residualMs = cert.notAfter.getTime() - now.getTime();
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  return { residualMs, expired: residualMs <= 0, renewDue: residualMs < lifetime * fraction };
}

export function expiryReason(e: Expiry, cert: CertFacts, fraction = RENEW_WITHIN_FRACTION): string | undefined {
  if (e.expired) return `expired on ${cert.notAfter.toISOString()}`;
  if (e.renewDue) return `expires on ${cert.notAfter.toISOString()}, within the last ${Math.round(fraction * 100)}% of its lifetime`;
  return undefined;
}

/** A certificate whose NotBefore is still ahead (beyond the backdate slack) is not usable yet. */
export function notYetValid(cert: CertFacts, now: Date): string | undefined {
  return cert.notBefore.getTime() > now.getTime() + 5 * 60 * 1000 ? `not valid before ${cert.notBefore.toISOString()}` : undefined;
}
