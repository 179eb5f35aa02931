/**
 * A fleet: the bridge, a run directory (/tmp/k8sprep-th-<id>: the HOME with keys, each host's
 * log and empty mount point, the PID records cleanup.sh uses), and the hosts, started in
 * parallel. stop() works after a failed start too.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Host, HARNESS_DIR } from './host.js';
import { DEFAULT_ARCH_KUBE, DEFAULT_KERNEL, osRelease, prettyName } from './identity.js';
import { SharedCluster } from './cluster.js';
import { bridgeName, createBridge, defaultSubnets, deleteBridge, ipAt, LINK_PREFIX, parseSubnet, subnetUsers, vethName, type Subnet } from './net.js';
import { run, runOk, startTime } from './proc.js';
import { CLUSTER_TOOLS, requireTools } from './tools.js';
import type { ClusterYamlOptions, StartOptions, TestCluster, TestFleet, TestHostSpec } from './types.js';

export const PASSWORD = 'k8sprep-test-pw';
/** Hosts get .11, .12, ... of the subnet; .1 is the bridge (the test process's side). */
const FIRST_HOST = 11;
const MAX_HOSTS = 200;

export async function startTestHosts(specs: readonly TestHostSpec[], opts: StartOptions = {}): Promise<TestFleet> {
  requireTools(opts.sharedCluster ? CLUSTER_TOOLS : []);
  checkSpecs(specs);
  await cleanupLeftovers();
  const subnet = await claimSubnet(opts.subnet);
  const fleet = new Fleet(subnet, opts.sharedCluster ?? false);
  try {
    await fleet.start(specs, opts.timeoutMs ?? 20_000);
  } catch (e) {
    await fleet.stop();
    throw e;
  }
  return fleet;
}

/** Removes what crashed runs left (see cleanup.sh); fleets of live test processes are kept. */
export async function cleanupLeftovers(): Promise<void> {
  await runOk('bash', [join(HARNESS_DIR, 'cleanup.sh')]);
}

const RUN_DIR_PREFIX = '/tmp/k8sprep-th-';

function runDir(subnet: Subnet): string {
  return `${RUN_DIR_PREFIX}${bridgeName(subnet).slice(LINK_PREFIX.length)}`;
}

/**
 * Claims a subnet: first its run directory, renamed into place atomically with our owner
 * record inside (so cleanup.sh, run by a concurrent test process, never takes a starting
 * fleet for a dead one), then its bridge.
 */
async function claimSubnet(wanted: string | undefined): Promise<Subnet> {
  const tmp = mkdtempSync('/tmp/.k8sprep-th-claim-');
  chmodSync(tmp, 0o700);
  writeFileSync(join(tmp, 'owner'), `${process.pid} ${startTime(process.pid)}\n`);
  const busy: string[] = [];
  for (const subnet of wanted ? [parseSubnet(wanted)] : defaultSubnets()) {
    try {
      renameSync(tmp, runDir(subnet)); // fails when a live run (or a non-empty leftover) has it
    } catch {
      continue;
    }
    const users = await subnetUsers(subnet);
    if (users.length === 0 && (await createBridge(subnet))) return subnet;
    renameSync(runDir(subnet), tmp);
    if (users.length > 0) busy.push(`${subnet.cidr}: ${users.join(', ')}`);
  }
  rmSync(tmp, { recursive: true, force: true });
  if (wanted) {
    throw new Error(
      `test hosts: ${wanted} is in use on this machine${busy.length ? `: ${busy[0]!.slice(wanted.length + 2)}` : ' by another fleet'}; pick another subnet`,
    );
  }
  throw new Error(
    `test hosts: every 127.77.x.0/24 is in use; run test/hosts/cleanup.sh${busy.length ? ` (addresses in use: ${busy.slice(0, 3).join('; ')})` : ''}`,
  );
}

function checkSpecs(specs: readonly TestHostSpec[]): void {
  const seen = new Set<string>();
  if (specs.length === 0 || specs.length > MAX_HOSTS) throw new Error(`test hosts: 1 to ${MAX_HOSTS} hosts, not ${specs.length}`);
  for (const s of specs) {
    if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(s.name)) throw new Error(`test hosts: bad host name ${JSON.stringify(s.name)}`);
    if (seen.has(s.name)) throw new Error(`test hosts: duplicate host name ${s.name}`);
    seen.add(s.name);
  }
}

class Fleet implements TestFleet {
  readonly hosts: Host[] = [];
  readonly password = PASSWORD;
  readonly home: string;
  readonly subnet: string;
  private readonly dir: string;
  private readonly shared: SharedCluster | undefined;
  private stopped = false;

  constructor(
    private readonly net: Subnet,
    sharedCluster: boolean,
  ) {
    this.subnet = net.cidr;
    this.dir = runDir(net);
    this.home = join(this.dir, 'home');
    this.shared = sharedCluster ? new SharedCluster(join(this.dir, 'cluster')) : undefined;
  }

  get cluster(): TestCluster {
    if (!this.shared) throw new Error('test hosts: this fleet has no shared cluster; start it with { sharedCluster: true }');
    return this.shared;
  }

  async start(specs: readonly TestHostSpec[], timeoutMs: number): Promise<void> {
    mkdirSync(join(this.home, '.ssh'), { recursive: true, mode: 0o700 });
    if (this.shared) mkdirSync(this.shared.dir, { mode: 0o755 });
    const key = join(this.home, '.ssh', 'id_ed25519');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'k8sprep-test', '-f', key]);
    const clientKey = readFileSync(`${key}.pub`, 'utf8').trim();
    const salt = randomBytes(12)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '');
    const passwordHash = (await runOk('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: PASSWORD })).trim();

    specs.forEach((spec, i) => {
      const offset = FIRST_HOST + i;
      const hostDir = join(this.dir, 'hosts', spec.name);
      mkdirSync(join(hostDir, 'mnt'), { recursive: true });
      const address = ipAt(this.net, offset);
      this.hosts.push(
        new Host(
          spec.name,
          address,
          {
            TH_HOST_NAME: spec.name,
            TH_ADDR: address,
            TH_PREFIXLEN: String(this.net.prefixLen),
            TH_SUBNET: this.net.cidr,
            TH_BRIDGE: bridgeName(this.net),
            TH_VETH: vethName(this.net, offset),
            TH_MNT: join(hostDir, 'mnt'),
            TH_OS: spec.os,
            TH_OS_RELEASE: osRelease(spec),
            TH_PRETTY: prettyName(spec),
            TH_KERNEL: spec.kernel ?? DEFAULT_KERNEL[spec.os],
            TH_ARCH_KUBE: spec.archRepoKubeVersion ?? DEFAULT_ARCH_KUBE,
            TH_MACHINE_ID: randomBytes(16).toString('hex'),
            TH_CLIENT_KEY: clientKey,
            TH_PASSWORD_HASH: passwordHash,
            TH_SUDO: spec.sudo ?? 'nopasswd',
            ...(this.shared ? { TH_CLUSTER_DIR: this.shared.dir } : {}),
          },
          join(hostDir, 'host.log'),
        ),
      );
    });
    const results = await Promise.allSettled(this.hosts.map((h) => h.start(timeoutMs).finally(() => this.recordPids())));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new Error(failed.map((r) => String(r.reason instanceof Error ? r.reason.message : r.reason)).join('\n'));
    writeFileSync(join(this.home, '.ssh', 'known_hosts'), this.hosts.map((h) => `${h.hostKeyLine}\n`).join(''), { mode: 0o600 });
  }

  /** What cleanup.sh may kill should this process die before stop() (see cleanup.sh). */
  private recordPids(): void {
    const lines = this.hosts.flatMap((h) => h.pids()).map((p) => `${p.pid} ${p.start}\n`);
    writeFileSync(join(this.dir, 'pids'), lines.join(''));
  }

  host(name: string): Host {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no test host ${name} (have ${this.hosts.map((x) => x.name).join(', ')})`);
    return h;
  }

  clusterYaml(opts: ClusterYamlOptions): string {
    const names = opts.only ?? this.hosts.map((h) => h.name);
    const hosts = names.map((name, i) => {
      const h = this.host(name);
      return merge({ name, address: h.address, roles: [i === 0 ? 'control-plane' : 'worker'], os: h.os }, opts.hosts?.[name]);
    });
    const spec = merge({ kubernetes: { version: opts.version }, hosts }, opts.spec);
    return stringify({ apiVersion: 'k8sprep.io/v1alpha1', kind: 'Cluster', metadata: { name: opts.name ?? 'test' }, spec });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.hosts.map((h) => h.stop()));
    await deleteBridge(bridgeName(this.net));
    // Mount points under dir were only ever mounted inside the hosts' namespaces, now gone.
    const mounted = await run('findmnt', ['-rn', '-o', 'TARGET']);
    if (mounted.stdout.split('\n').some((m) => m.startsWith(`${this.dir}/`))) {
      throw new Error(`test hosts: mounts remain under ${this.dir}; run test/hosts/cleanup.sh`);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Shallow merge where an explicit undefined removes the key. */
function merge(base: Record<string, unknown>, over: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}
