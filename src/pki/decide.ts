/**
 * `certs generate`'s keep-or-re-issue rules for one existing leaf or kubeconfig.
 *
 * A leaf is kept only when all of these hold: certificate and key present and readable;
 * signed by the current CA; key matches; subject, SANs, EKU, key usage, CA flag and key
 * size are what the cluster now wants; valid now; and more than 10% of its own lifetime
 * remains. A changed validity alone does not re-issue (that is `certs renew`'s job).
 * A kubeconfig keeps its client certificate under the same rules; its server URL, CA and
 * names are rewritten in place when only they changed (e.g. a new endpoint).
 */
import { expiryOf, expiryReason, judgeLeaf, notYetValid } from './check.js';
import type { CaMaterial } from './issue.js';
import { type KubeconfigContent, parseKubeconfig } from './kubeconfig.js';
import { KUBECONFIG_CLUSTER, type CertSpec, type KubeconfigSpec } from './spec.js';
import { readCert } from './x509.js';

export interface JudgeContext {
  now: Date;
  keyBits: number;
  /** Re-issue below this fraction of the certificate's lifetime left. */
  renewWithin: number;
}

/** Reasons to re-issue (empty: keep). */
export function leafReasons(certText: string | undefined, keyText: string | undefined, spec: CertSpec, ca: CaMaterial, ctx: JudgeContext): string[] {
  if (certText === undefined && keyText === undefined) return ['missing'];
  if (certText === undefined) return ['certificate missing'];
  if (keyText === undefined) return ['key missing'];
  const { cert, problems: reasons } = judgeLeaf(certText, keyText, spec, { cert: ca.cert, name: ca.id }, { keyBits: ctx.keyBits, missingKey: 'key missing' });
  if (!cert) return reasons;
  const expiry = expiryReason(expiryOf(cert, ctx.now, ctx.renewWithin), cert, ctx.renewWithin);
  if (expiry) reasons.push(expiry);
  const early = notYetValid(cert, ctx.now);
  if (early) reasons.push(early);
  return reasons;
}

/** Same certificate (DER), whatever the PEM wrapping. */
export function sameCertDer(a: string, b: string): boolean {
  try {
    return readCert(a).x509.raw.equals(readCert(b).x509.raw);
  } catch {
    return false;
  }
}

/** Why a kubeconfig with an acceptable client certificate must still be rewritten (empty: leave it). */
export function kubeconfigRewriteReasons(have: KubeconfigContent, want: KubeconfigSpec, caPem: string): string[] {
  const reasons: string[] = [];
  if (have.server !== want.server) reasons.push(`server is ${have.server}, the cluster wants ${want.server}`);
  if (!sameCertDer(have.caPem, caPem)) reasons.push('embedded CA differs from ca.crt');
  const context = `${want.user}@${KUBECONFIG_CLUSTER}`;
  if (have.user !== want.user || have.clusterName !== KUBECONFIG_CLUSTER || have.contextName !== context) {
    reasons.push(`names (cluster ${have.clusterName}, user ${have.user}, context ${have.contextName}) differ from kubeadm's`);
  }
  return reasons;
}

export type KubeconfigVerdict =
  { action: 'keep' } | { action: 'rewrite'; reasons: string[]; certPem: string; keyPem: string } | { action: 'reissue'; reasons: string[] };

export function judgeKubeconfig(text: string | undefined, spec: KubeconfigSpec, ca: CaMaterial, caPem: string, ctx: JudgeContext): KubeconfigVerdict {
  if (text === undefined) return { action: 'reissue', reasons: ['missing'] };
  const have = parseKubeconfig(text);
  if (typeof have === 'string') return { action: 'reissue', reasons: [have] };
  if (have.certPem === undefined || have.keyPem === undefined) return { action: 'reissue', reasons: ['no embedded client certificate and key'] };
  const certReasons = leafReasons(have.certPem, have.keyPem, spec.cert, ca, ctx).map((r) => `client certificate: ${r}`);
  if (certReasons.length > 0) return { action: 'reissue', reasons: certReasons };
  const rewrite = kubeconfigRewriteReasons(have, spec, caPem);
  return rewrite.length === 0 ? { action: 'keep' } : { action: 'rewrite', reasons: rewrite, certPem: have.certPem, keyPem: have.keyPem };
}
