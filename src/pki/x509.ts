/**
 * Reads what a certificate says, for any key algorithm: Node's X509Certificate does the
 * cryptography (signature, key match, public key); the fields kubeadm cares about
 * (subject, SANs, key usage, EKU, basic constraints, key ids) come from a small walk over
 * the DER with node-forge's ASN.1 reader, because Node only offers them as display strings
 * and node-forge's own certificate parser refuses non-RSA keys.
 */
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { ipFromBytes } from './names.js';
import type { Sans, Subject } from './spec.js';

export interface CertFacts {
  /** The first CERTIFICATE block, re-armored. */
  pem: string;
  x509: X509Certificate;
  subject: Subject;
  issuer: Subject;
  /** DER of the subject Name (binary string), for exact issuer == subject comparisons. */
  subjectDer: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  sans: Sans;
  /** Known EKUs by name (`serverAuth`, `clientAuth`, ...), others as dotted OIDs. */
  eku: string[];
  /** Key usage bit names (`digitalSignature`, `keyEncipherment`, `keyCertSign`, ...). */
  keyUsage: string[];
  keyUsageCritical: boolean;
  /** BasicConstraints cA; undefined when the extension is absent. */
  isCa: boolean | undefined;
  basicConstraintsCritical: boolean;
  /** Hex key identifiers, when present. */
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** `RSA 2048`, `EC prime256v1`, ... */
  keyAlgorithm: string;
  /** RSA modulus length, when RSA. */
  rsaBits?: number;
}

const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  keyUsage: '2.5.29.15',
  san: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  eku: '2.5.29.37',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
};

const EKU_OIDS: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

/** RFC 5280 KeyUsage bit order. */
const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

type Node = forge.asn1.Asn1;
/** A context-specific tag's number: forge types it as a universal tag, which it is not. */
const tagNumber = (n: Node): number => n.type;

/** node-forge's fromDer takes an options object its typings do not declare. */
const fromDer = forge.asn1.fromDer as unknown as (bytes: string, options: { strict: boolean; decodeBitStrings: boolean }) => Node;

function children(n: Node | undefined): Node[] {
  return n && Array.isArray(n.value) ? n.value : [];
}

function bytes(n: Node | undefined): string {
  return n && typeof n.value === 'string' ? n.value : '';
}

function hex(binary: string): string {
  return forge.util.bytesToHex(binary);
}

/** String attribute value; UTF8String bytes are decoded, the other string types are ASCII. */
function stringValue(n: Node): string {
  const raw = bytes(n);
  return n.type === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(raw) : raw;
}

function readName(name: Node | undefined): Subject {
  const subject: Subject = { cn: '', o: [] };
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (!type || !value) continue;
      const oid = forge.asn1.derToOid(bytes(type));
      if (oid === OID.cn) subject.cn = stringValue(value);
      else if (oid === OID.o) subject.o.push(stringValue(value));
    }
  }
  return subject;
}

function readTime(n: Node | undefined): Date {
  if (!n) return new Date(NaN);
  return n.type === forge.asn1.Type.UTCTIME ? forge.asn1.utcTimeToDate(bytes(n)) : forge.asn1.generalizedTimeToDate(bytes(n));
}

interface Extension {
  critical: boolean;
  /** The extnValue's contents (DER of the extension's own structure). */
  value: string;
}

function readExtensions(tbsFields: Node[]): Map<string, Extension> {
  const out = new Map<string, Extension>();
  // [3] EXPLICIT Extensions: context-specific tag 3 wrapping a SEQUENCE of Extension.
  const wrapper = tbsFields.find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && tagNumber(n) === 3);
  for (const ext of children(children(wrapper)[0])) {
    const parts = children(ext);
    const oid = forge.asn1.derToOid(bytes(parts[0]));
    const critical = parts.length === 3 && bytes(parts[1]) !== '\x00';
    out.set(oid, { critical, value: bytes(parts[parts.length - 1]) });
  }
  return out;
}

function parseDer(der: string): Node {
  return fromDer(der, { strict: true, decodeBitStrings: false });
}

function readSans(ext: Extension | undefined): Sans {
  const sans: Sans = { dns: [], ips: [] };
  if (!ext) return sans;
  for (const gn of children(parseDer(ext.value))) {
    if (gn.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC) continue;
    if (tagNumber(gn) === 2) sans.dns.push(bytes(gn));
    else if (tagNumber(gn) === 7) sans.ips.push(ipFromBytes(Buffer.from(bytes(gn), 'binary')));
  }
  return sans;
}

function readKeyUsage(ext: Extension | undefined): string[] {
  if (!ext) return [];
  const bits = bytes(parseDer(ext.value)); // first byte: unused bit count
  const names: string[] = [];
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bits.charCodeAt(1 + Math.floor(i / 8));
    if (!Number.isNaN(byte) && byte & (0x80 >> (i % 8))) names.push(name);
  });
  return names;
}

function readBasicConstraints(ext: Extension | undefined): boolean | undefined {
  if (!ext) return undefined;
  const first = children(parseDer(ext.value))[0];
  return first !== undefined && first.type === forge.asn1.Type.BOOLEAN && bytes(first) !== '\x00';
}

function readEku(ext: Extension | undefined): string[] {
  if (!ext) return [];
  return children(parseDer(ext.value)).map((n) => {
    const oid = forge.asn1.derToOid(bytes(n));
    return EKU_OIDS[oid] ?? oid;
  });
}

function readSki(ext: Extension | undefined): string | undefined {
  return ext ? hex(bytes(parseDer(ext.value))) : undefined;
}

function readAki(ext: Extension | undefined): string | undefined {
  if (!ext) return undefined;
  const keyId = children(parseDer(ext.value)).find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && tagNumber(n) === 0);
  return keyId ? hex(bytes(keyId)) : undefined;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;

/** The first certificate of a PEM text (a file may hold a bundle). Throws when there is none or it is malformed. */
export function readCert(pemText: string): CertFacts {
  const block = CERT_BLOCK.exec(pemText);
  if (!block) throw new Error('no CERTIFICATE block');
  const x509 = new X509Certificate(block[0]);
  const root = parseDer(x509.raw.toString('binary'));
  const tbs = children(children(root)[0]);
  // Skip the optional [0] version to reach serial, signature, issuer, validity, subject, spki.
  const start = tbs[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const [serial, , issuer, validity, subject] = tbs.slice(start);
  const exts = readExtensions(tbs);
  const [notBefore, notAfter] = children(validity);
  const keyDetails = x509.publicKey.asymmetricKeyDetails;
  const keyType = x509.publicKey.asymmetricKeyType ?? 'unknown';
  const facts: CertFacts = {
    pem: `${block[0]}\n`,
    x509,
    subject: readName(subject),
    issuer: readName(issuer),
    subjectDer: subject ? forge.asn1.toDer(subject).getBytes() : '',
    serialHex: hex(bytes(serial)),
    notBefore: readTime(notBefore),
    notAfter: readTime(notAfter),
    sans: readSans(exts.get(OID.san)),
    eku: readEku(exts.get(OID.eku)),
    keyUsage: readKeyUsage(exts.get(OID.keyUsage)),
    keyUsageCritical: exts.get(OID.keyUsage)?.critical ?? false,
    isCa: readBasicConstraints(exts.get(OID.basicConstraints)),
    basicConstraintsCritical: exts.get(OID.basicConstraints)?.critical ?? false,
    keyAlgorithm: keyType === 'rsa' ? `RSA ${keyDetails?.modulusLength ?? '?'}` : `${keyType.toUpperCase()} ${keyDetails?.namedCurve ?? ''}`.trim(),
  };
  const ski = readSki(exts.get(OID.ski));
  const aki = readAki(exts.get(OID.aki));
  if (ski !== undefined) facts.subjectKeyId = ski;
  if (aki !== undefined) facts.authorityKeyId = aki;
  if (keyType === 'rsa' && keyDetails?.modulusLength !== undefined) facts.rsaBits = keyDetails.modulusLength;
  return facts;
}

/** readCert, or the reason it could not be read. */
export function tryReadCert(pemText: string): CertFacts | string {
  try {
    return readCert(pemText);
  } catch (err) {
    return `cannot read the certificate: ${(err as Error).message}`;
  }
}
