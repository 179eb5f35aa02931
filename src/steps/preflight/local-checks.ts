/**
 * The local preflight checks, as shell functions that append to K8SPREP_PROBLEMS through
 * `k8sprep_problem` instead of stopping: the preflight step reports them all at once.
 * Each takes what it needs from the render context; none changes anything on the host.
 */
import { versionProblem, needsSystemVerificationIgnored } from '../../cluster/versions.js';
import { osFamily } from '../../os/index.js';
import { shq } from '../../script/quote.js';
import { KUBELET_CONF } from '../bootstrap/host-values.js';
import { FACT } from './facts.js';
import { KERNEL_MODULES_MISSING, KERNEL_MODULES_PRESENT } from '../kernel-modules.js';
import type { StepContext } from '../types.js';

/** kubeadm's ControlPlaneNumCPU and ControlPlaneMem (MiB). */
export const CONTROL_PLANE_MIN_CPUS = 2;
export const CONTROL_PLANE_MIN_MEMORY_MB = 1700;

/** The ports kubeadm's preflight wants free, per role (DESIGN §4 / issue 3). */
export function requiredPorts(ctx: StepContext): number[] {
  const ports = new Set<number>([10250]);
  if (ctx.host.isControlPlane) for (const p of [6443, 2379, 2380, 10250, 10257, 10259]) ports.add(p);
  // haproxy's endpoint port on the control planes (keepalived-haproxy).
  const endpoint = ctx.cluster.controlPlaneEndpoint;
  if (ctx.host.isControlPlane && endpoint?.loadBalancer === 'keepalived-haproxy') ports.add(endpoint.port);
  return [...ports].sort((a, b) => a - b);
}

export const PROBLEM_HELPERS = String.raw`K8SPREP_PROBLEMS=()
k8sprep_problem() { K8SPREP_PROBLEMS+=("$*"); }`;

export function osCheck(ctx: StepContext): string {
  const family = osFamily(ctx.os);
  const refused = versionProblem(ctx.cluster.kubernetes.version, ctx.os);
  return [
    'k8sprep_preflight_os() {',
    '  local found',
    '  # shellcheck source=/dev/null',
    `  if ! ${family.osReleaseMatches}; then`,
    '    # shellcheck source=/dev/null',
    '    found=$( . /etc/os-release && echo "${PRETTY_NAME:-unknown} (ID=${ID:-?} VERSION_ID=${VERSION_ID:-?})" ) || found="an OS without a readable /etc/os-release"',
    `    k8sprep_problem "this host runs $found, not ${family.displayName} (os: ${ctx.os} for this host)"`,
    '  fi',
    ...(refused ? [`  k8sprep_problem ${shq(refused)}`] : []),
    '  return 0',
    '}',
  ].join('\n');
}

export function resourcesCheck(): string {
  return [
    'k8sprep_preflight_resources() {',
    '  local cpus memory',
    '  cpus=$(nproc)',
    '  memory=$(awk \'$1 == "MemTotal:" {print int($2 / 1024)}\' /proc/meminfo)',
    `  [ "$cpus" -ge ${CONTROL_PLANE_MIN_CPUS} ] || k8sprep_problem "$cpus CPU(s): a control plane needs at least ${CONTROL_PLANE_MIN_CPUS}"`,
    `  [ "$memory" -ge ${CONTROL_PLANE_MIN_MEMORY_MB} ] || k8sprep_problem "$memory MB of memory: a control plane needs at least ${CONTROL_PLANE_MIN_MEMORY_MB} MB"`,
    '  return 0',
    '}',
  ].join('\n');
}

/** `ss -ltnp` when present (it names the owner), else /proc/net/tcp{,6} (owner unknown). */
const LISTENERS = String.raw`# Listening TCP ports, one "PORT PROCESS" line each (PROCESS is ? when unknown).
k8sprep_tcp_listeners() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnp 2>/dev/null | awk 'NR > 1 { n = split($4, a, ":"); p = "?"; if (match($0, /users:\(\("[^"]*"/)) p = substr($0, RSTART + 9, RLENGTH - 10); print a[n], p }'
    return 0
  fi
  local file addr state
  for file in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$file" ] || continue
    while read -r _ addr _ state _; do
      if [ "$state" = 0A ]; then echo "$((16#${'$'}{addr##*:})) ?"; fi
    done <"$file"
  done
}`;

export function portsCheck(ctx: StepContext): string {
  return [
    LISTENERS,
    '# k8sprep_port_free PORT LISTENERS',
    'k8sprep_port_free() {',
    '  local owner',
    '  owner=$(printf \'%s\\n\' "$2" | awk -v p="$1" \'$1 == p {print $2; exit}\')',
    '  case $owner in',
    '    "") ;;',
    "    # This node's own Kubernetes from an earlier run is not in the way.",
    '    kube-apiserver | etcd | kubelet | kube-controller* | kube-scheduler | haproxy) ;;',
    '    "?") k8sprep_problem "port $1/tcp is already in use; kubeadm needs it free" ;;',
    '    *) k8sprep_problem "port $1/tcp is already in use by $owner; kubeadm needs it free" ;;',
    '  esac',
    '}',
    'k8sprep_preflight_ports() {',
    '  local listeners',
    "  # Already a node (a re-run): kubeadm will not run here again, and the ports are its own components'.",
    `  [ -e ${KUBELET_CONF} ] && return 0`,
    '  listeners=$(k8sprep_tcp_listeners)',
    ...requiredPorts(ctx).map((p) => `  k8sprep_port_free ${p} "$listeners"`),
    '}',
  ].join('\n');
}

/**
 * The running kernel's modules are installed (see kernel-modules.ts). Kernel and cgroup
 * version against the Kubernetes version: kubeadm 1.32+ wants kernel 4.19+
 * (SystemVerification; CentOS 7's 3.10 is accepted with that check ignored, see
 * needsSystemVerificationIgnored), and the 1.35+ kubelet refuses cgroup v1.
 */
export function kernelCheck(ctx: StepContext): string {
  const v = ctx.cluster.kubernetes.version;
  const old419 = '[ "$major" -lt 4 ] || { [ "$major" -eq 4 ] && [ "$minor" -lt 19 ]; }';
  const lines = [
    'k8sprep_preflight_kernel() {',
    '  local kernel major minor cgroup',
    '  kernel=$(uname -r)',
    '  major=${kernel%%.*}',
    '  minor=${kernel#*.}; minor=${minor%%.*}',
    '  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then cgroup=v2; else cgroup=v1; fi',
    `  k8sprep_fact ${FACT.kernel} "$kernel"`,
    `  k8sprep_fact ${FACT.cgroup} "$cgroup"`,
    `  ${KERNEL_MODULES_PRESENT} || k8sprep_problem "${KERNEL_MODULES_MISSING}"`,
    '  if [ "$major" -lt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -lt 10 ]; }; then',
    '    k8sprep_problem "kernel $kernel is older than 3.10, the oldest Kubernetes runs on"',
    '  fi',
  ];
  if (v.minor >= 32) {
    lines.push(`  if ${old419}; then`);
    if (needsSystemVerificationIgnored(v, ctx.os)) {
      lines.push(
        `    echo "k8sprep: note: kernel $kernel is older than the 4.19 kubeadm ${v.minorString} checks for; on CentOS 7 k8sprep runs kubeadm with --ignore-preflight-errors=SystemVerification" >&2`,
      );
    } else {
      lines.push(`    k8sprep_problem "kernel $kernel is older than 4.19, which kubeadm ${v.minorString} requires (SystemVerification): upgrade the kernel"`);
    }
    lines.push('  fi');
  }
  if (v.minor >= 35) {
    lines.push(
      `  [ "$cgroup" = v2 ] || k8sprep_problem "this host has only cgroup v1, and the kubelet refuses cgroup v1 from Kubernetes 1.35 (failCgroupV1): boot with the unified cgroup hierarchy or use Kubernetes 1.34"`,
    );
  }
  lines.push('  return 0', '}');
  return lines.join('\n');
}
