/** Canonical text for subjects, SANs and IPs, so "what the cluster wants" compares with "what a cert says". */
import { isIP } from 'node:net';
import { bigIntToIp, ipToBigInt } from '../cluster/net.js';
import type { Sans, Subject } from './spec.js';

/** RFC 5952 text for IPv6 (`0:0:0:0:0:0:0:1` -> `::1`), dotted quad for IPv4. */
export function normalizeIp(ip: string): string {
  const family = isIP(ip);
  if (family === 0) return ip;
  return bigIntToIp(ipToBigInt(ip), family as 4 | 6);
}

/** Raw iPAddress bytes from a SAN (4 or 16) -> canonical text. */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    let value = 0n;
    for (const b of bytes) value = (value << 8n) + BigInt(b);
    return bigIntToIp(value, 6);
  }
  return `<${bytes.length}-byte address>`;
}

/** `O=kubeadm:cluster-admins, CN=kube-apiserver-kubelet-client` (O first, as the DN is encoded). */
export function formatSubject(s: Subject): string {
  return [...s.o.map((o) => `O=${o}`), `CN=${s.cn}`].join(', ');
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

export function sameSubject(a: Subject, b: Subject): boolean {
  // O order does not change group membership; compare as sets.
  return a.cn === b.cn && sameSet(a.o, b.o);
}

/** `missing IP:10.0.0.5, DNS:lb.example; unexpected IP:10.0.0.4`, or undefined when equal as sets. */
export function sansDifference(have: Sans, want: Sans): string | undefined {
  const haveSet = new Set([...have.dns.map((d) => `DNS:${d.toLowerCase()}`), ...have.ips.map((i) => `IP:${normalizeIp(i)}`)]);
  const wantSet = new Set([...want.dns.map((d) => `DNS:${d.toLowerCase()}`), ...want.ips.map((i) => `IP:${normalizeIp(i)}`)]);
  const missing = [...wantSet].filter((x) => !haveSet.has(x));
  const extra = [...haveSet].filter((x) => !wantSet.has(x));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length > 0) parts.push(`unexpected ${extra.join(', ')}`);
  return parts.join('; ');
}

export function sameEku(a: readonly string[], b: readonly string[]): boolean {
  return sameSet(a, b);
}
