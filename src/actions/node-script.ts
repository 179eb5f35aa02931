/**
 * `node script`: what a new worker runs to prepare itself and join the running cluster, as files
 * the machine runs on its own (cloud-init user-data, or one bash script): node join's phases
 * that run on the new host itself (preflight, prep, the join), rendered by the same renderer
 * from the same inputs (the local CA's hash, the bootstrap token), so an autoscaling group's
 * machines join at first boot without k8sprep reaching them over SSH.
 *
 * What node join does elsewhere does not happen: preflight's comparison across hosts, the check
 * that the cluster answers with the local CA, renewing the token, the other hosts' /etc/hosts
 * learning the node, waiting until it is Ready. Control planes are refused (CONTROL_PLANE_REFUSAL).
 * A template host (`--role worker --os OS`) stands for any new worker: its node name and IPv4
 * are read on the machine when the scripts run (src/steps/bootstrap/host-values.ts).
 */
import { join } from 'node:path';
import { loadClusterFile } from '../cluster/load.js';
import { OS_IDS } from '../cluster/schema.js';
import type { Cluster, Host, OsId } from '../cluster/types.js';
import { nftablesKernelProblem, versionProblem } from '../cluster/versions.js';
import { InputError } from '../errors.js';
import { dryRunBytes } from '../run/dry-run.js';
import { phasesOn } from '../run/phase.js';
import { type HostPlan, planHost, selectHosts } from '../run/plan.js';
import { bashBootScript, BOOT_DIR, BOOT_LOG, bootFiles, cloudInitUserData } from '../script/boot-script.js';
import { type LocalState, readWorkerJoinState } from '../state/local-state.js';
import { writeFileAtomic } from '../util/fs.js';
import { nodeJoinPhases } from './node-join.js';

export const FORMATS = ['cloud-init', 'bash'] as const;
export type NodeScriptFormat = (typeof FORMATS)[number];

/** Why control planes get no node script (the command's help says it too). */
export const CONTROL_PLANE_REFUSAL =
  "a control plane's scripts would carry the cluster's CA and service-account private keys in user-data (kept by the cloud, " +
  'served to any process on the machine by its metadata service), control planes must join one at a time (etcd), and the ' +
  "other control planes' haproxy backends and /etc/hosts must learn the new one: use node join for control planes";

export interface NodeScriptOptions {
  config?: string | undefined;
  hosts?: string | undefined;
  role?: string | undefined;
  os?: string | undefined;
  format: NodeScriptFormat;
  out?: string | undefined;
  showSecrets: boolean;
}

export interface NodeScriptFile {
  /** The host's name, or `worker-<os>` for the template. */
  name: string;
  bytes: string;
}

export interface NodeScriptResult {
  files: NodeScriptFile[];
  /** The bootstrap token's public id (the output carries the whole token only with --show-secrets). */
  tokenId: string;
}

/** The host a template renders for: a worker of `os`, its name and address read on the machine. */
export function templateWorker(cluster: Cluster, os: OsId): Host {
  return {
    name: `worker-${os}`,
    address: '',
    roles: ['worker'],
    os,
    ssh: { user: 'root', port: 22 },
    isControlPlane: false,
    isWorker: true,
    index: cluster.hosts.length,
    runtimeIdentity: true,
  };
}

/** The scripts of node join's phases that run on the new host itself, in run order. */
export function planNodeScript(cluster: Cluster, host: Host, os: OsId, state: LocalState): HostPlan {
  const phases = phasesOn(nodeJoinPhases(), { cluster, targets: [host] }, host);
  return planHost(cluster, host, os, phases, {}, { state, waitSeconds: 0 });
}

function checkFlags(opts: NodeScriptOptions): void {
  if (opts.hosts !== undefined && (opts.role !== undefined || opts.os !== undefined)) {
    throw InputError.single(
      opts.role !== undefined ? '--role' : '--os',
      'cannot be combined with --hosts (a host of the cluster file has its role and OS there)',
    );
  }
  if (opts.hosts === undefined && opts.role === undefined) throw InputError.single('--hosts', 'or --role worker with --os is required');
  if (opts.role !== undefined) {
    const roles = opts.role.split(',').map((r) => r.trim());
    if (roles.includes('control-plane')) throw InputError.single('--role', `only worker: ${CONTROL_PLANE_REFUSAL}`);
    if (roles.length !== 1 || roles[0] !== 'worker')
      throw InputError.single('--role', `${JSON.stringify(opts.role)} is not a role a node script makes: worker`);
    if (opts.os === undefined) throw InputError.single('--os', 'is required with --role: centos7 or arch (the scripts are made for one OS)');
  }
}

/** The template's OS must be one the cluster's settings can run on (what validation checks for a declared host). */
function templateOs(cluster: Cluster, os: string): OsId {
  const id = OS_IDS.find((o) => o === os);
  if (!id) throw InputError.single('--os', `${JSON.stringify(os)} is not a supported OS (centos7, arch)`);
  const problem = versionProblem(cluster.kubernetes.version, id) ?? (cluster.kubernetes.proxyMode === 'nftables' ? nftablesKernelProblem(id) : undefined);
  if (problem) throw InputError.single('--os', problem);
  return id;
}

/** The hosts named, each with its declared OS; control planes and undeclared OSes are input errors. */
function namedWorkers(cluster: Cluster, names: string, several: boolean): { host: Host; os: OsId }[] {
  const hosts = selectHosts(cluster, names);
  const controlPlanes = hosts.filter((h) => h.isControlPlane);
  if (controlPlanes.length > 0) throw InputError.single('--hosts', `${controlPlanes.map((h) => h.name).join(', ')}: a control plane; ${CONTROL_PLANE_REFUSAL}`);
  if (hosts.length > 1 && !several)
    throw InputError.single('--out', `is required for ${hosts.length} hosts: standard output holds one host's file (--out DIR writes one per host)`);
  const undeclared = hosts.filter((h) => !h.os);
  if (undeclared.length > 0) {
    throw new InputError(
      cluster.source.locate(
        undeclared.map((h) => ({
          path: ['spec', 'hosts', h.index, 'os'],
          locateAt: ['spec', 'hosts', h.index],
          reason: 'needed by node script, which contacts no host: declare centos7 or arch',
        })),
      ),
    );
  }
  return hosts.map((h) => ({ host: h, os: h.os as OsId }));
}

function header(cluster: Cluster, host: Host, os: OsId, plan: HostPlan, redacted: boolean): string[] {
  const endpoint = `${cluster.apiEndpoint.host}:${cluster.apiEndpoint.port}`;
  const who = host.runtimeIdentity
    ? `any new worker (${os}) of cluster ${cluster.name}: its node name is its hostname, its node IP the address it reaches ${endpoint} from`
    : `${host.name} (worker, ${os}) of cluster ${cluster.name}`;
  return [
    `k8sprep node script for ${who}; Kubernetes ${cluster.kubernetes.version.full}. Generated: do not edit.`,
    `Writes its scripts to ${BOOT_DIR}/ (root only) and runs them in order (${plan.scripts.map((s) => s.phase.id).join(', ')}),`,
    `stopping at the first that fails; the log is ${BOOT_LOG}. It joins through ${endpoint}.`,
    redacted
      ? 'The bootstrap token is <redacted:bootstrap-token>: this output cannot join a machine (k8sprep node script --show-secrets).'
      : 'It holds the bootstrap token: whoever reads it can join machines to the cluster until the token expires. Keep it like a password.',
  ];
}

/** Everything node script prints or writes, made without contacting any host. */
export async function renderNodeScripts(opts: NodeScriptOptions): Promise<NodeScriptResult> {
  checkFlags(opts);
  const cluster = await loadClusterFile(opts.config ?? 'cluster.yaml');
  const templateFor = (os: OsId) => [{ host: templateWorker(cluster, os), os }];
  const targets = opts.hosts !== undefined ? namedWorkers(cluster, opts.hosts, opts.out !== undefined) : templateFor(templateOs(cluster, opts.os ?? ''));
  const { state, secrets } = await readWorkerJoinState(cluster);
  const files = targets.map(({ host, os }) => {
    const plan = planNodeScript(cluster, host, os, state);
    const scripts = plan.scripts.map((s) => ({ phase: s.phase.id, text: dryRunBytes(s.text, opts.showSecrets ? secrets : undefined) }));
    const lines = header(cluster, host, os, plan, !opts.showSecrets);
    const boot = bootFiles(scripts);
    return { name: host.name, bytes: opts.format === 'cloud-init' ? cloudInitUserData(boot, lines) : bashBootScript(boot, lines) };
  });
  return { files, tokenId: state.tokenId };
}

/** `DIR/<name>.yaml` (cloud-init) or `DIR/<name>.sh` (bash). */
export function outputPath(dir: string, name: string, format: NodeScriptFormat): string {
  return join(dir, `${name}.${format === 'cloud-init' ? 'yaml' : 'sh'}`);
}

/** File modes by format: only the owner reads a file holding the token; a bash script is executable. */
const MODES: Record<NodeScriptFormat, { secret: number; redacted: number }> = {
  'cloud-init': { secret: 0o600, redacted: 0o644 },
  bash: { secret: 0o700, redacted: 0o755 },
};

/** Writes each file under `dir` (made 0700 when absent); returns their paths. */
export async function writeNodeScripts(result: NodeScriptResult, dir: string, format: NodeScriptFormat, showSecrets: boolean): Promise<string[]> {
  const paths: string[] = [];
  const mode = MODES[format][showSecrets ? 'secret' : 'redacted'];
  for (const f of result.files) {
    const path = outputPath(dir, f.name, format);
    await writeFileAtomic(path, f.bytes, { mode, dirMode: 0o700 });
    paths.push(path);
  }
  return paths;
}
