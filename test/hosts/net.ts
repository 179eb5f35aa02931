/**
 * The fleet's network in the root namespace: one bridge with the first address of a subnet
 * inside 127.0.0.0/8. Each host's veth joins it (host-init.sh). 127.0.0.0/8 is routed to
 * `lo` by the local table; a more specific local-table route through the bridge plus
 * route_localnet on the bridge and veths makes the subnet travel over the links (DESIGN §5).
 * Only interfaces we create are touched: no global sysctl changes.
 */
import { run, runOk } from './proc.js';

export interface Subnet {
  /** e.g. 127.77.0.0/24 */
  cidr: string;
  prefixLen: number;
  /** The network address as a 32-bit number. */
  base: number;
}

/** The prefix every bridge and veth of the harness starts with (cleanup deletes by it). */
export const LINK_PREFIX = 'k8sth-';

export function parseSubnet(cidr: string): Subnet {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const prefixLen = Number(m?.[4]);
  const octets = m ? [127, Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!m || octets.some((o) => o > 255) || prefixLen < 16 || prefixLen > 28) {
    throw new Error(`test hosts: subnet ${cidr} must be a /16 to /28 inside 127.0.0.0/8, e.g. 127.77.0.0/24`);
  }
  const raw = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLen);
  const base = raw - (raw % size);
  if (base !== raw) throw new Error(`test hosts: ${cidr} is not a network address`);
  if (base === 127 * 2 ** 24) throw new Error('test hosts: 127.0.0.0/x overlaps 127.0.0.1, pick another subnet');
  return { cidr, prefixLen, base };
}

export function ipAt(subnet: Subnet, offset: number): string {
  if (offset <= 0 || offset >= 2 ** (32 - subnet.prefixLen) - 1) {
    throw new Error(`test hosts: ${subnet.cidr} has no room for host number ${offset}`);
  }
  const n = subnet.base + offset;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Bridge name from the subnet (unique per subnet, so creating it claims the subnet). */
export function bridgeName(subnet: Subnet): string {
  return `${LINK_PREFIX}${(subnet.base % 2 ** 24).toString(16).padStart(6, '0')}`;
}

/** The root-namespace end of a host's veth: the bridge name plus the host's offset. */
export function vethName(subnet: Subnet, offset: number): string {
  return `${bridgeName(subnet)}${offset.toString(16).padStart(2, '0')}`.slice(0, 15);
}

/** The subnets tried in order when the caller names none: 127.77.0.0/24, 127.77.1.0/24, ... */
export function defaultSubnets(): Subnet[] {
  return Array.from({ length: 256 }, (_, third) => parseSubnet(`127.77.${third}.0/24`));
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function overlaps(subnet: Subnet, cidr: string): boolean {
  const [ip, len] = cidr.split('/') as [string, string | undefined];
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
  const size = 2 ** (32 - Number(len ?? 32));
  const base = toNumber(ip) - (toNumber(ip) % size);
  const ours = 2 ** (32 - subnet.prefixLen);
  return base < subnet.base + ours && subnet.base < base + size;
}

/**
 * What on this machine already uses an address of the subnet: an interface address (`ip -o
 * addr`) inside it, or a local-table route overlapping it on a link other than lo (another
 * fleet's bridge, whatever its name). A free bridge name proves nothing about the addresses.
 */
export async function subnetUsers(subnet: Subnet): Promise<string[]> {
  const users: string[] = [];
  for (const line of (await runOk('ip', ['-o', '-4', 'addr', 'show'])).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[2] === 'inet' && f[3] && overlaps(subnet, `${f[3].split('/')[0]}/32`)) users.push(`${f[3].split('/')[0]} on ${f[1]} (ip -o addr)`);
  }
  // Unicast routes only (a fleet's `ip route replace <subnet> dev <bridge> table local`): the
  // local and broadcast entries come from addresses, listed above.
  for (const line of (await runOk('ip', ['-4', 'route', 'show', 'table', 'local'])).split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = f[f.indexOf('dev') + 1];
    if (/^\d/.test(f[0] ?? '') && f.includes('dev') && dev !== 'lo' && overlaps(subnet, f[0]!))
      users.push(`route ${f[0]} dev ${dev} (ip route show table local)`);
  }
  return [...new Set(users)];
}

/** Creates the bridge; resolves false when it already exists. */
export async function createBridge(subnet: Subnet): Promise<boolean> {
  const name = bridgeName(subnet);
  const add = await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  if (add.code !== 0) {
    if (/File exists/.test(add.stderr)) return false;
    throw new Error(`test hosts: cannot create bridge ${name}: ${add.stderr.trim()}`);
  }
  try {
    await runOk('sh', [
      '-ec',
      'echo 1 >"/proc/sys/net/ipv4/conf/$1/route_localnet"; ip addr add "$2/$3" dev "$1"; ip link set "$1" up; ' +
        'ip route replace "$4" dev "$1" table local src "$2"',
      'sh',
      name,
      ipAt(subnet, 1),
      String(subnet.prefixLen),
      subnet.cidr,
    ]);
  } catch (e) {
    await deleteBridge(name);
    throw e;
  }
  return true;
}

/** Deleting the bridge also drops its addresses and local-table route. */
export async function deleteBridge(name: string): Promise<void> {
  await run('ip', ['link', 'del', name]);
}
