/**
 * A kubelet newer than the API server is never allowed (Kubernetes' version skew policy).
 * Preparing hosts installs the kubelet of `kubernetes.version`, so when an API server
 * already answers at the cluster's endpoint (a run against a running cluster: hosts to
 * join, a re-run after the cluster file's version was raised), its version must not be
 * older. Read-only: one anonymous GET of /version, which kube-apiserver serves to anyone
 * (system:public-info-viewer); no credentials are sent, so the certificate is not verified.
 * Nothing answering (a cluster not bootstrapped yet) is not a problem.
 */
import { hostPort } from '../../cluster/net.js';
import { shq } from '../../script/quote.js';
import type { StepContext } from '../types.js';

export const APISERVER_VERSION_FACT = 'apiserver_version';

export function apiServerVersionUrl(ctx: StepContext): string {
  const { host, port } = ctx.cluster.apiEndpoint;
  return `https://${hostPort(host, port)}/version`;
}

export function apiServerVersionCheck(ctx: StepContext): string {
  const v = ctx.cluster.kubernetes.version.full;
  const url = apiServerVersionUrl(ctx);
  return [
    'k8sprep_preflight_apiserver_version() {',
    '  local body running',
    `  body=$(curl -ks --connect-timeout 3 --max-time 5 ${shq(url)} 2>/dev/null) || return 0`,
    `  running=$(printf '%s\\n' "$body" | sed -n 's/.*"gitVersion": *"v\\{0,1\\}\\([0-9][0-9]*\\.[0-9][0-9]*\\.[0-9][0-9]*\\).*/\\1/p' | head -n 1)`,
    '  [ -n "$running" ] || return 0',
    `  k8sprep_fact ${APISERVER_VERSION_FACT} "$running"`,
    '  # Newer: differs, and sorts last by version.',
    `  if [ "$running" != ${v} ] && [ "$(printf '%s\\n' "$running" ${v} | sort -V | tail -n 1)" = ${v} ]; then`,
    `    k8sprep_problem "the API server at ${url} runs Kubernetes $running, older than kubernetes.version ${v}: a kubelet newer than the API server is never allowed. Upgrade the control plane first (kubeadm upgrade) or set kubernetes.version to $running"`,
    '  fi',
    '}',
  ].join('\n');
}
