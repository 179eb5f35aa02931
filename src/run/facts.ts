/**
 * What a host's scripts report about it (`k8sprep_fact KEY VALUE` lines), parsed once, as they
 * arrive, into typed values: the cross-host checks compare them, and the summary reports what
 * the operator should know (a kernel that needs kubeadm's SystemVerification ignored, an API
 * server's version, Arch's repository version). Every key a script prints is known here: a
 * key without a parser is refused by `recordFact`, and the session logs it as a bug.
 */
import { REPO_VERSION_FACT } from '../os/arch-kubernetes.js';
import { FACT, TIME_SYNC } from '../steps/preflight/facts.js';
import { MANIFEST_FACT } from '../steps/bootstrap/cni.js';
import { APISERVER_VERSION_FACT } from '../steps/preflight/version-skew.js';

export interface HostFacts {
  hostname?: string;
  productUuid?: string;
  machineId?: string;
  /** Physical-looking interfaces and their MAC addresses (lowercase). */
  macs?: { iface: string; mac: string }[];
  /**
   * The host's clock (`date +%s`) and this machine's clock when that line arrived (epoch
   * seconds): hosts run at different moments, so only the offset between the two compares.
   */
  clock?: { host: number; received: number };
  kernel?: string;
  cgroup?: 'v1' | 'v2';
  /** Arch: the kubeadm version in pacman's sync database; null when it has none. */
  kubernetesRepoVersion?: string | null;
  /** The version of an API server already answering at the cluster's endpoint. */
  apiserverVersion?: string;
  /** Whether chronyd had synchronised the clock when preflight looked. */
  timeSync?: (typeof TIME_SYNC)[keyof typeof TIME_SYNC];
  /** A manifest downloaded without a known checksum (trusted on first use), and its sha256. */
  manifestSha256?: { sha256: string; url: string };
}

type Parser = (facts: HostFacts, value: string, receivedAt: number) => void;

const number = (value: string): number | undefined => {
  const n = value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(n) ? n : undefined;
};

const PARSERS: Record<string, Parser> = {
  [FACT.hostname]: (f, v) => (f.hostname = v.trim()),
  [FACT.productUuid]: (f, v) => (f.productUuid = v.trim().toLowerCase()),
  [FACT.machineId]: (f, v) => (f.machineId = v.trim().toLowerCase()),
  [FACT.macs]: (f, v) => {
    f.macs = v
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const eq = pair.lastIndexOf('=');
        return { iface: eq >= 0 ? pair.slice(0, eq) : '?', mac: (eq >= 0 ? pair.slice(eq + 1) : pair).toLowerCase() };
      })
      .filter((m) => m.mac !== '');
  },
  [FACT.clock]: (f, v, receivedAt) => {
    const host = number(v);
    if (host !== undefined) f.clock = { host, received: receivedAt };
  },
  [FACT.kernel]: (f, v) => (f.kernel = v.trim()),
  [FACT.cgroup]: (f, v) => {
    if (v === 'v1' || v === 'v2') f.cgroup = v;
  },
  [FACT.timeSync]: (f, v) => {
    const value = Object.values(TIME_SYNC).find((t) => t === v.trim());
    if (value) f.timeSync = value;
  },
  [REPO_VERSION_FACT]: (f, v) => (f.kubernetesRepoVersion = v === 'none' || v === '' ? null : v),
  [APISERVER_VERSION_FACT]: (f, v) => (f.apiserverVersion = v.trim()),
  [MANIFEST_FACT]: (f, v) => {
    const [sha256, url] = v.trim().split(/\s+/);
    if (sha256 && url && /^[0-9a-f]{64}$/.test(sha256)) f.manifestSha256 = { sha256, url };
  },
};

/** Records one fact line; false for a key no code reads (the session logs it as a bug). */
export function recordFact(facts: HostFacts, key: string, value: string, receivedAt: number): boolean {
  const parse = PARSERS[key];
  if (!parse) return false;
  parse(facts, value, receivedAt);
  return true;
}

/** What the summary should say about a host, from its facts (warnings, never failures). */
export function factNotes(f: HostFacts): string[] {
  const notes: string[] = [];
  if (f.timeSync === TIME_SYNC.unsynchronised)
    notes.push('chronyd had not synchronised the clock at preflight: check `chronyc tracking` (certificates and etcd need agreeing clocks)');
  return notes;
}
