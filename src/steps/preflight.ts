/**
 * preflight: read-only, first. Every local check runs and appends its problems (OS and
 * version, CPUs/memory on control planes, ports, kernel/cgroup vs Kubernetes version and the
 * running kernel's modules, an API server already running an older version, whether the OS
 * can install the cluster's Kubernetes version, package repositories that cannot be read);
 * the clock's sync state is a warning and a fact. The check then prints the facts the
 * cross-host checks compare and passes only without problems. "apply" changes nothing: it
 * prints every problem and fails the host, so the operator sees all of them at once, before
 * anything anywhere changed.
 */
import { osFamily } from '../os/index.js';
import { nodeNameHelper } from './bootstrap/host-values.js';
import { endpointChecks } from './preflight/endpoint-check.js';
import { FACTS_FUNCTION } from './preflight/facts.js';
import { PROBLEM_HELPERS, kernelCheck, osCheck, portsCheck, resourcesCheck } from './preflight/local-checks.js';
import { TIME_SYNC_CHECK } from './preflight/time-sync.js';
import { apiServerVersionCheck } from './preflight/version-skew.js';
import type { Step, StepContext } from './types.js';

/** The OS's read-only check that the cluster's Kubernetes version can be installed, if it has one. */
function kubernetesSourceCheck(ctx: StepContext): string | undefined {
  const install = osFamily(ctx.os).kubernetes;
  if (!install.preflight) return undefined;
  return [install.helpers(ctx.cluster), 'k8sprep_preflight_kubernetes_source() {', install.preflight(ctx.cluster), '}'].filter(Boolean).join('\n');
}

/** The OS's read-only probe of the repositories prep will neither write nor repair, if it has one. */
function repositoriesCheck(ctx: StepContext): string | undefined {
  const repair = osFamily(ctx.os).repositoryRepair;
  if (!repair) return undefined;
  return [repair.helpers(ctx.cluster), 'k8sprep_preflight_repositories() {', repair.preflight(ctx.cluster), '}'].join('\n');
}

function checks(ctx: StepContext): string[] {
  return [
    'k8sprep_preflight_os',
    ...(ctx.host.isControlPlane ? ['k8sprep_preflight_resources'] : []),
    'k8sprep_preflight_ports',
    'k8sprep_preflight_kernel',
    'k8sprep_preflight_apiserver_version',
    ...(kubernetesSourceCheck(ctx) ? ['k8sprep_preflight_kubernetes_source'] : []),
    ...(repositoriesCheck(ctx) ? ['k8sprep_preflight_repositories'] : []),
    ...endpointChecks(ctx).calls,
    'k8sprep_preflight_time_sync',
    'k8sprep_preflight_facts',
  ];
}

export const preflightStep: Step = {
  id: 'preflight',
  title: 'Check the host can run Kubernetes (changes nothing)',
  appliesTo: () => true,
  helpers: (ctx) =>
    [
      // A template host's name is read (and a hostname that cannot be a node name refused) as the script starts.
      nodeNameHelper(ctx.host),
      PROBLEM_HELPERS,
      osCheck(ctx),
      ...(ctx.host.isControlPlane ? [resourcesCheck()] : []),
      portsCheck(ctx),
      kernelCheck(ctx),
      apiServerVersionCheck(ctx),
      kubernetesSourceCheck(ctx) ?? '',
      repositoriesCheck(ctx) ?? '',
      ...endpointChecks(ctx).helpers,
      TIME_SYNC_CHECK,
      FACTS_FUNCTION,
    ]
      .filter(Boolean)
      .join('\n'),
  check: (ctx) => ['K8SPREP_PROBLEMS=()', ...checks(ctx), '[ "${#K8SPREP_PROBLEMS[@]}" -eq 0 ]'].join('\n'),
  apply: () =>
    [
      'printf \'k8sprep: preflight: %s\\n\' "${K8SPREP_PROBLEMS[@]}" >&2',
      'k8sprep_die "preflight found ${#K8SPREP_PROBLEMS[@]} problem(s) on this host; nothing was changed"',
    ].join('\n'),
};
