/**
 * The safe shapes of the cluster file's strings and numbers: every value that can reach a
 * script is one of these (names, addresses, versions, URLs, ...), so none can carry shell
 * syntax, and only a sysctl value can start with `-` (a negative number). schema.ts
 * assembles them into the file's structure.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

function isHostName(value: string): boolean {
  // All-numeric dotted names are IPv4 attempts, never host names.
  return DNS_NAME.test(value) && !/^[\d.]+$/.test(value);
}

function isAddress(value: string): boolean {
  return isIP(value) !== 0 || isHostName(value);
}

/** The one wording of the IPv6 refusal (hosts, the endpoint, the subnets). */
export function ipv6NotSupported(value: string, use: string): string {
  return `${JSON.stringify(value)}: IPv6 is not supported yet (use ${use})`;
}

export const label = (what: string) =>
  z.string().regex(DNS_LABEL, {
    error: (i) =>
      `${JSON.stringify(i.input)} is not a valid ${what} (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)`,
  });

/** Any IP address or host name: only for what the SSH client on this machine connects to (the bastion). */
export const address = z.string().refine(isAddress, {
  error: (i) => `${JSON.stringify(i.input)} is not an IP address or host name`,
});

function nodeAddressReason(value: unknown): string {
  if (typeof value === 'string' && isIP(value) === 6) return ipv6NotSupported(value, 'an IPv4 address or a host name');
  return `${JSON.stringify(value)} is not an IP address or host name`;
}

/** What Kubernetes itself uses (node addresses, the endpoint): an IPv4 address or a host name. */
export const nodeAddress = z.string().refine((v) => isIP(v) === 4 || isHostName(v), { error: (i) => nodeAddressReason(i.input) });

/** A host's address: like nodeAddress, or `local` for the local transport. */
export const hostAddress = z.string().refine((v) => v === 'local' || isIP(v) === 4 || isHostName(v), { error: (i) => nodeAddressReason(i.input) });

/** A virtual IP: an IPv4 address (kube-vip and keepalived answer ARP for it; a name cannot be announced). */
export const virtualIp = z.string().refine((v) => isIP(v) === 4, {
  error: (i) =>
    typeof i.input === 'string' && isIP(i.input) === 6
      ? ipv6NotSupported(i.input, 'an IPv4 address')
      : `${JSON.stringify(i.input)} is not an IP address (the virtual IP is announced on the network, a name cannot be)`,
});

export const port = z.int().min(1).max(65535);

export const user = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a valid user name`,
});

/** A local file path; used only on this machine, never in a script. */
export const localPath = z
  .string()
  .min(1)
  .regex(/^[^\n\r\0]+$/, { error: 'must be a path on one line' });

export const environmentVariable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: (i) => `${JSON.stringify(i.input)} is not an environment variable name`,
});

/** Go-style duration as kubeadm writes them: 87600h, 90m, 30d (d = 24h, for convenience). */
export const DURATION = /^(\d+(d|h|m|s))+$/;
// The lookahead refuses zero durations (0h, 0d0h): certificates that are already expired.
export const duration = z.string().regex(new RegExp(`^(?=.*[1-9])${DURATION.source.slice(1)}`), {
  error: (i) => `${JSON.stringify(i.input)} is not a duration like 8760h or 365d`,
});

/** Checked (syntax, family, overlaps) by the cross-field rules, which report one reason each. */
export const cidr = z.string();

export const kubernetesVersion = z.string().regex(/^\d+\.\d+\.\d+$/, { error: (i) => `${JSON.stringify(i.input)} is not a version like 1.30.6` });

export const imageRepository = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$/, {
  error: (i) => `${JSON.stringify(i.input)} is not an image repository`,
});

export const dnsDomain = z.string().refine(isHostName, { error: (i) => `${JSON.stringify(i.input)} is not a DNS domain` });

export const registryHost = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a registry host`,
});

const URL_BASE = '^https?://[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:\\d{1,5})?';

/** A mirror's base URL: scheme, host, optional port and path; no query, no shell syntax. */
export const mirrorUrl = z.string().regex(new RegExp(`${URL_BASE}(/[A-Za-z0-9._~/-]*)?$`), {
  error: (i) => `${JSON.stringify(i.input)} is not an http(s) mirror URL`,
});

/** A file to download: a mirror URL with a path to the file. */
export const fileUrl = z.string().regex(new RegExp(`${URL_BASE}/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$`), {
  error: (i) => `${JSON.stringify(i.input)} is not an http(s) URL of a file`,
});

export const sha256 = z.string().regex(/^[0-9a-fA-F]{64}$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a SHA-256 checksum (64 hexadecimal digits)`,
});

export const sysctlKey = z.string().regex(/^[a-z0-9_]+([./][a-z0-9_-]+)+$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a sysctl key`,
});

export const sysctlValue = z.union([
  z.number(),
  z.string().regex(/^[A-Za-z0-9 ._:,/-]*$/, { error: (i) => `${JSON.stringify(i.input)} is not a sysctl value (letters, digits, spaces and ._:,/- only)` }),
  z.null(),
]);
