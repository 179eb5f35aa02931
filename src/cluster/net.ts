/**
 * IPv4/IPv6 address and CIDR arithmetic for validation and derived values (first service
 * IP), and the one way to print an address with a port. IPv6 is refused at validation for
 * now, but these stay family-neutral so that refusal is the only thing dual-stack changes.
 */
import { isIP } from 'node:net';

export interface Cidr {
  text: string;
  family: 4 | 6;
  /** Network address as a big integer. */
  base: bigint;
  prefix: number;
  bits: 32 | 128;
}

export function ipToBigInt(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  let text = ip.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text); // embedded IPv4 (::ffff:10.0.0.1)
  if (v4) {
    const n = ipToBigInt(v4[2] ?? '');
    text = `${v4[1] ?? ''}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  let groups = parse(head);
  if (tail !== undefined) {
    const right = parse(tail);
    groups = [...groups, ...Array<string>(8 - groups.length - right.length).fill('0'), ...right];
  }
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

export function bigIntToIp(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  // RFC 5952: the longest run (first if tied) of two or more zero groups becomes `::`.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** Parses `a.b.c.d/n`; returns an error reason instead of throwing. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/%]+)\/(\d{1,3})$/.exec(text);
  const family = m ? isIP(m[1] ?? '') : 0;
  if (!m || family === 0) return `${JSON.stringify(text)} is not a CIDR like 10.244.0.0/16`;
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(m[2]);
  if (prefix > bits) return `${JSON.stringify(text)} has a prefix longer than ${bits}`;
  const addr = ipToBigInt(m[1] ?? '');
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((addr & hostMask) !== 0n) {
    const base = bigIntToIp(addr & ~hostMask, family as 4 | 6);
    return `${JSON.stringify(text)} has host bits set; did you mean ${base}/${prefix}?`;
  }
  return { text, family: family as 4 | 6, base: addr, prefix, bits };
}

function lastAddress(c: Cidr): bigint {
  return c.base + ((1n << BigInt(c.bits - c.prefix)) - 1n);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const family = isIP(ip);
  if (family !== c.family) return false;
  const v = ipToBigInt(ip);
  return v >= c.base && v <= lastAddress(c);
}

/** The first usable address (network + 1): kubeadm's `kubernetes` service IP. */
export function firstAddress(c: Cidr): string {
  return bigIntToIp(c.base + 1n, c.family);
}

/** Compares addresses as the network does: IPs by value (any IPv6 spelling), names case-insensitively. */
export function addressKey(address: string): string {
  const family = isIP(address);
  return family ? `ip:${ipToBigInt(address)}/${family}` : address.toLowerCase();
}

export function sameAddress(a: string, b: string): boolean {
  return addressKey(a) === addressKey(b);
}

/** `host:port`, with an IPv6 address bracketed (`[fd00::1]:6443`) as in URLs and OpenSSH. */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
