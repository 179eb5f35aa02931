/** Address and CIDR arithmetic (src/cluster/net.ts): parse, host bits, overlaps, contains, first address, comparing, printing with a port. */
import { bigIntToIp, type Cidr, cidrContains, cidrsOverlap, firstAddress, hostPort, ipToBigInt, parseCidr, sameAddress } from '../../src/cluster/net.js';

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

describe('parseCidr', () => {
  test('IPv4', () => {
    expect(parseCidr('10.244.0.0/16')).toEqual({ text: '10.244.0.0/16', family: 4, base: 0x0af40000n, prefix: 16, bits: 32 });
    expect(cidr('0.0.0.0/0').base).toBe(0n);
    expect(cidr('10.1.2.3/32').prefix).toBe(32);
  });

  test('IPv6', () => {
    const c = cidr('fd00:10:96::/112');
    expect(c.family).toBe(6);
    expect(c.bits).toBe(128);
    expect(c.prefix).toBe(112);
    expect(c.base).toBe((0xfd00n << 112n) | (0x10n << 96n) | (0x96n << 80n));
    expect(cidr('::/0').base).toBe(0n);
  });

  test.each([
    ['10.244.0/16', '"10.244.0/16" is not a CIDR like 10.244.0.0/16'],
    ['10.244.0.0', '"10.244.0.0" is not a CIDR like 10.244.0.0/16'],
    ['10.0.0.300/8', '"10.0.0.300/8" is not a CIDR like 10.244.0.0/16'],
    ['10.0.0.0/', '"10.0.0.0/" is not a CIDR like 10.244.0.0/16'],
    ['fe80::%eth0/64', '"fe80::%eth0/64" is not a CIDR like 10.244.0.0/16'],
    ['10.0.0.0/33', '"10.0.0.0/33" has a prefix longer than 32'],
    ['fd00::/129', '"fd00::/129" has a prefix longer than 128'],
    ['10.244.1.0/16', '"10.244.1.0/16" has host bits set; did you mean 10.244.0.0/16?'],
    ['10.96.0.1/12', '"10.96.0.1/12" has host bits set; did you mean 10.96.0.0/12?'],
    ['fd00::1/64', '"fd00::1/64" has host bits set; did you mean fd00::/64?'],
  ])('%s is refused: %s', (text, reason) => {
    expect(parseCidr(text)).toBe(reason);
  });
});

describe('overlaps and contains', () => {
  test('overlapping, nested, adjacent and disjoint ranges', () => {
    expect(cidrsOverlap(cidr('10.96.0.0/12'), cidr('10.96.0.0/16'))).toBe(true);
    expect(cidrsOverlap(cidr('10.96.0.0/16'), cidr('10.96.0.0/12'))).toBe(true);
    expect(cidrsOverlap(cidr('10.244.0.0/16'), cidr('10.96.0.0/12'))).toBe(false);
    // 10.96.0.0/12 ends at 10.111.255.255; 10.112.0.0/12 starts right after.
    expect(cidrsOverlap(cidr('10.96.0.0/12'), cidr('10.112.0.0/12'))).toBe(false);
    expect(cidrsOverlap(cidr('10.96.0.0/12'), cidr('10.111.255.255/32'))).toBe(true);
    expect(cidrsOverlap(cidr('fd00::/64'), cidr('fd00::/108'))).toBe(true);
    expect(cidrsOverlap(cidr('0.0.0.0/0'), cidr('::/0'))).toBe(false); // different families never overlap
  });

  test('contains: both ends inside, one past outside, other family outside', () => {
    const c = cidr('10.244.0.0/16');
    expect(cidrContains(c, '10.244.0.0')).toBe(true);
    expect(cidrContains(c, '10.244.255.255')).toBe(true);
    expect(cidrContains(c, '10.245.0.0')).toBe(false);
    expect(cidrContains(c, '10.243.255.255')).toBe(false);
    expect(cidrContains(c, '::ffff:10.244.0.1')).toBe(false);
    expect(cidrContains(c, 'node1.example.com')).toBe(false);
    expect(cidrContains(cidr('fd00:10:244::/56'), 'fd00:10:244:ff::1')).toBe(true);
  });
});

describe('addresses', () => {
  test('first address: the kubernetes service IP', () => {
    expect(firstAddress(cidr('10.96.0.0/12'))).toBe('10.96.0.1');
    expect(firstAddress(cidr('172.30.0.0/16'))).toBe('172.30.0.1');
    expect(firstAddress(cidr('fd00:10:96::/112'))).toBe('fd00:10:96::1');
    expect(firstAddress(cidr('fd00::/108'))).toBe('fd00::1');
  });

  test('IPv6 is printed canonically (RFC 5952: the longest zero run becomes ::)', () => {
    expect(bigIntToIp(ipToBigInt('1:0:0:2:0:0:0:3'), 6)).toBe('1:0:0:2::3');
    expect(bigIntToIp(ipToBigInt('1:0:0:2:0:0:3:4'), 6)).toBe('1::2:0:0:3:4');
    expect(bigIntToIp(ipToBigInt('1:0:2:3:4:5:6:7'), 6)).toBe('1:0:2:3:4:5:6:7');
    expect(bigIntToIp(0n, 6)).toBe('::');
    expect(bigIntToIp(1n, 6)).toBe('::1');
    expect(bigIntToIp(0xfd00n << 112n, 6)).toBe('fd00::');
  });

  test('parsing: IPv4, IPv6 shorthand, embedded IPv4, zone ids', () => {
    expect(ipToBigInt('10.0.0.1')).toBe(0x0a000001n);
    expect(ipToBigInt('::1')).toBe(1n);
    expect(ipToBigInt('fd00::')).toBe(0xfd00n << 112n);
    expect(ipToBigInt('::ffff:10.0.0.1')).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(ipToBigInt('fe80::1%eth0')).toBe((0xfe80n << 112n) | 1n);
    expect(bigIntToIp(ipToBigInt('10.96.0.1'), 4)).toBe('10.96.0.1');
  });
});

describe('addresses', () => {
  test('compared as the network does: IPs by value in any spelling, names without case', () => {
    expect(sameAddress('fd00::1', 'fd00:0:0::0:1')).toBe(true);
    expect(sameAddress('10.0.0.1', '10.0.0.1')).toBe(true);
    expect(sameAddress('Node1.Example.com', 'node1.example.COM')).toBe(true);
    expect(sameAddress('10.0.0.1', '10.0.0.2')).toBe(false);
    expect(sameAddress('::a00:1', '10.0.0.1')).toBe(false); // other family, same bits
  });

  test('host:port brackets IPv6 (as URLs and OpenSSH do), nothing else', () => {
    expect(hostPort('fd00::1', 6443)).toBe('[fd00::1]:6443');
    expect(hostPort('::1', 22)).toBe('[::1]:22');
    expect(hostPort('10.0.0.1', 8443)).toBe('10.0.0.1:8443');
    expect(hostPort('api.example.com', 443)).toBe('api.example.com:443');
  });
});
