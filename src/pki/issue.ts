/**
 * Builds certificates the way kubeadm does (its pkiutil templates, encoded by Go's x509):
 * subject O then CN; random positive serial; NotBefore backdated 5 minutes, NotAfter =
 * now + validity; KeyUsage critical (digitalSignature, keyEncipherment, + keyCertSign on
 * CAs); EKU; BasicConstraints critical (CA:TRUE on CAs, CA:FALSE on leaves);
 * SubjectKeyIdentifier on CAs; AuthorityKeyIdentifier on leaves; SANs (DNS + IP);
 * sha256WithRSAEncryption.
 *
 * node-forge assembles the TBSCertificate; the signature itself is computed with Node's
 * native `crypto.sign` over forge's DER. forge's JavaScript RSA takes ~40 ms per
 * signature, native ~1.5 ms: with ~40 certificates per cluster that is the difference
 * between "about the cost of the keys" and +40%. Signing is synchronous on purpose: it
 * runs on the main thread while the key generations occupy the thread pool.
 */
import { createHash, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';
import { ipToBigInt } from '../cluster/net.js';
import { PkiError } from './errors.js';
import { generateRsaKeyPair, type KeyPairPem, keyMatchesCert, privateKeyObject } from './keys.js';
import { toPem } from './pem.js';
import { type CaId, type CaSpec, caCertSpec, type CertSpec, type Sans, type Subject } from './spec.js';
import { type CertFacts, readCert } from './x509.js';

/** kubeadm's CertificateBackdate: tolerate clocks a little behind the signer's. */
export const BACKDATE_MS = 5 * 60 * 1000;

export interface Validity {
  hours: number;
  now: Date;
}

/** A CA ready to sign: its certificate, key, and what leaves copy from it. */
export interface CaMaterial {
  id: CaId;
  certPem: string;
  keyPem: string;
  cert: CertFacts;
  key: KeyObject;
  /** SubjectKeyIdentifier bytes (binary string) for the leaves' AuthorityKeyIdentifier. */
  keyId: string;
  /**
   * The CA's subject Name exactly as encoded in its certificate. Leaves get it as their
   * issuer byte for byte: Go (etcd, the apiserver) finds a parent by raw name bytes.
   */
  subjectAsn1: forge.asn1.Asn1;
}

type Tbs = forge.asn1.Asn1 & { value: forge.asn1.Asn1[] };
const getTbs = (forge.pki as unknown as { getTBSCertificate: (c: forge.pki.Certificate) => Tbs }).getTBSCertificate;
/** Position of `issuer` in a v3 TBSCertificate: [0] version, serial, signature, issuer. */
const TBS_ISSUER = 3;

/** 16 random bytes, first byte 0x01-0x7f: positive, and minimal DER (no leading 0x00). */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = 1 + ((b[0] ?? 0) % 0x7f);
  return b.toString('hex');
}

/** Go encodes a name as PrintableString when it can, else UTF8String; so does this. */
function nameAttr(type: string, value: string): forge.pki.CertificateField {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
  const tag = printable ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8;
  return { type, value, valueTagClass: tag as unknown as forge.asn1.Class };
}

function subjectAttrs(s: Subject): forge.pki.CertificateField[] {
  return [...s.o.map((o) => nameAttr('2.5.4.10', o)), nameAttr('2.5.4.3', s.cn)];
}

function ipBytes(ip: string): string {
  const v6 = ip.includes(':');
  let value = ipToBigInt(ip);
  const out: number[] = [];
  for (let i = 0; i < (v6 ? 16 : 4); i++) {
    out.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  return String.fromCharCode(...out);
}

function sanExtension(sans: Sans): object[] {
  if (sans.dns.length === 0 && sans.ips.length === 0) return [];
  const altNames = [...sans.dns.map((value) => ({ type: 2, value })), ...sans.ips.map((ip) => ({ type: 7, value: ipBytes(ip) }))];
  return [{ name: 'subjectAltName', altNames }];
}

interface BuildInput {
  spec: CertSpec;
  isCa: boolean;
  publicKeyPem: string;
  validity: Validity;
  /** Absent: self-signed with `selfKey`. */
  issuer?: CaMaterial;
  selfKey?: KeyObject;
}

function buildCert(input: BuildInput): string {
  const { spec, isCa, validity, issuer } = input;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(input.publicKeyPem);
  cert.serialNumber = randomSerialHex();
  const now = validity.now.getTime();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + validity.hours * 3_600_000);
  const subject = subjectAttrs(spec.subject);
  cert.setSubject(subject);
  cert.setIssuer(subject); // replaced by the CA's encoded subject below for leaves
  const eku = Object.fromEntries(spec.eku.map((e) => [e, true]));
  cert.setExtensions([
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: isCa },
    ...(spec.eku.length > 0 ? [{ name: 'extKeyUsage', ...eku }] : []),
    { name: 'basicConstraints', critical: true, cA: isCa },
    ...(isCa ? [{ name: 'subjectKeyIdentifier' }] : []),
    ...(issuer ? [{ name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyId }] : []),
    ...sanExtension(spec.sans),
  ]);
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption ?? '1.2.840.113549.1.1.11';
  cert.siginfo.algorithmOid = cert.signatureOid;
  const tbs = getTbs(cert);
  if (issuer) tbs.value[TBS_ISSUER] = issuer.subjectAsn1;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signingKey = issuer?.key ?? input.selfKey;
  if (!signingKey) throw new Error('buildCert: no signing key');
  cert.tbsCertificate = tbs;
  cert.signature = sign('sha256', tbsDer, signingKey).toString('binary');
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  return toPem('CERTIFICATE', Buffer.from(der, 'binary'));
}

/** SHA-1 of the PKCS#1 RSAPublicKey: how Go (and so kubeadm) derives a missing key id. */
function derivedKeyId(cert: CertFacts): string {
  const pkcs1 = createPublicKey(cert.x509.publicKey).export({ type: 'pkcs1', format: 'der' });
  return createHash('sha1').update(pkcs1).digest().toString('binary');
}

/**
 * An existing CA from its PEM files. Refuses (PkiError) what k8sprep cannot sign with and
 * must not replace: not a CA, a key that is not the certificate's, a non-RSA key.
 */
export function loadCa(id: CaId, certPem: string, keyPem: string, where: string = id): CaMaterial {
  let cert: CertFacts;
  try {
    cert = readCert(certPem);
  } catch (err) {
    throw new PkiError(`${where}: cannot read the CA certificate: ${(err as Error).message}`);
  }
  if (cert.isCa !== true) throw new PkiError(`${where}: the certificate is not a CA (BasicConstraints CA:TRUE missing)`);
  if (!keyMatchesCert(keyPem, cert.x509)) throw new PkiError(`${where}: the CA private key does not match the CA certificate`);
  const key = privateKeyObject(keyPem);
  if (key.asymmetricKeyType !== 'rsa') throw new PkiError(`${where}: k8sprep signs with RSA CAs only (found ${cert.keyAlgorithm})`);
  const keyId = cert.subjectKeyId !== undefined ? Buffer.from(cert.subjectKeyId, 'hex').toString('binary') : derivedKeyId(cert);
  const subjectAsn1 = forge.asn1.fromDer(cert.subjectDer);
  return { id, certPem: cert.pem, keyPem, cert, key, keyId, subjectAsn1 };
}

/** A new self-signed CA like kubeadm's (CN, DNS SAN = CN, SKI, no AKI). */
export function createCa(ca: CaSpec, key: KeyPairPem, validity: Validity): CaMaterial {
  const selfKey = privateKeyObject(key.privateKey);
  const certPem = buildCert({ spec: caCertSpec(ca), isCa: true, publicKeyPem: key.publicKey, validity, selfKey });
  return loadCa(ca.id, certPem, key.privateKey);
}

/** A leaf (or kubeconfig client) certificate for `publicKeyPem`, signed by `ca`. */
export function issueCert(spec: CertSpec, publicKeyPem: string, ca: CaMaterial, validity: Validity): string {
  return buildCert({ spec, isCa: false, publicKeyPem, validity, issuer: ca });
}

/** What an existing certificate says, as a spec: renewal keeps exactly this (DESIGN §4). */
export function certSpecFromCert(cert: CertFacts): CertSpec {
  return {
    subject: { cn: cert.subject.cn, o: [...cert.subject.o] },
    eku: [...cert.eku],
    sans: { dns: [...cert.sans.dns], ips: [...cert.sans.ips] },
  };
}

/**
 * Renewal's primitive: the same subject, SANs and EKU as `existingPem`, a new key of
 * `bits`, the given validity, signed by `ca`. Refuses a certificate `ca` did not issue.
 */
export async function reissueCert(
  existingPem: string,
  ca: CaMaterial,
  opts: { bits: number; validity: Validity },
): Promise<{ certPem: string; keyPem: string }> {
  const existing = readCert(existingPem);
  if (!existing.x509.checkIssued(ca.cert.x509) || !existing.x509.verify(ca.cert.x509.publicKey)) {
    throw new PkiError(`${existing.subject.cn}: not issued by ${ca.id}; refusing to re-issue it with that CA`);
  }
  const key = await generateRsaKeyPair(opts.bits);
  return { certPem: issueCert(certSpecFromCert(existing), key.publicKey, ca, opts.validity), keyPem: key.privateKey };
}
