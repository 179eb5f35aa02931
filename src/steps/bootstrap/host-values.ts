/**
 * Shell functions the bootstrap steps share: values only the host knows (its IPv4 when the
 * cluster file gives a name, the interface holding it; a template host's name and IPv4),
 * cluster operations through kubectl with the control plane's admin.conf (the operator's
 * machine needs no route to the API), and waiting for an API server. Rendered once per script that needs them (helpers are functions:
 * a later definition of the same body is harmless).
 */
import { isIP } from 'node:net';
import type { Cluster, Host } from '../../cluster/types.js';
import { shq } from '../../script/quote.js';
import { NODE_NAME_PLACEHOLDER } from '../../templates/kubeadm-config.js';

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';

/** The awk that prints the `src` address of `ip -4 -o route get` (the address the host sends from). */
const ROUTE_SOURCE = 'awk \'{for (i = 1; i < NF; i++) if ($i == "src") {print $(i + 1); exit}}\'';

/** A template host's IPv4: the source address of its route to the cluster's endpoint (the interface that reaches the API). */
function runtimeNodeIp(cluster: Cluster): string[] {
  const endpoint = cluster.apiEndpoint.host;
  const target = isIP(endpoint) === 4 ? endpoint : `"$(getent ahostsv4 ${shq(endpoint)} | awk 'NR == 1 {print $1}')"`;
  return [
    "# The IPv4 this node registers with: the one it reaches the cluster's endpoint from.",
    'k8sprep_node_ip() {',
    `  ip -4 -o route get ${target} 2>/dev/null | ${ROUTE_SOURCE} | grep . || k8sprep_die ${shq(`no IPv4 route from this host to the cluster's endpoint ${endpoint} to take the node's address from`)}`,
    '}',
  ];
}

/** `k8sprep_node_ip`: the IPv4 kubeadm advertises and the kubelet registers (DESIGN §4: multi-NIC hosts). */
export function nodeIpFunction(ctx: { host: Host; cluster: Cluster }): string {
  const { host } = ctx;
  if (host.runtimeIdentity) return runtimeNodeIp(ctx.cluster).join('\n');
  const literal = /^\d+\.\d+\.\d+\.\d+$/.test(host.address);
  return [
    '# The IPv4 this node registers with: its address in the cluster file, or what that name resolves to here.',
    'k8sprep_node_ip() {',
    literal
      ? `  echo ${host.address}`
      : host.address === 'local'
        ? `  ip -4 -o route get 192.0.2.1 2>/dev/null | ${ROUTE_SOURCE} | grep . || k8sprep_die "no IPv4 route on this host to take the node's address from"`
        : `  getent ahostsv4 ${shq(host.address)} | awk 'NR == 1 {print $1}' | grep . || k8sprep_die ${shq(`${host.address} does not resolve to an IPv4 address on this host`)}`,
    '}',
  ].join('\n');
}

/**
 * A template host's name, read once when the script starts (a top-level assignment: under
 * `set -e` a bad hostname stops the script before any step): the machine's hostname, lowercased
 * as kubeadm does, refused unless it is a DNS-1123 subdomain other than localhost. Steps use it
 * only quoted ("$K8SPREP_NODE") or through k8sprep_fill, never spliced into the script.
 */
const RUNTIME_NODE_NAME = String.raw`# This node's name: the machine's hostname (lowercased, as kubeadm does).
k8sprep_node_name() {
  local name
  name=$(uname -n | tr '[:upper:]' '[:lower:]')
  case $name in
    '' | localhost | localhost.*) k8sprep_die "the hostname is \"$name\": give this machine its own hostname (it becomes the node's name) before k8sprep's scripts run" ;;
  esac
  if [ "${'$'}{#name}" -gt 253 ] || ! [[ $name =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ ]]; then
    k8sprep_die "the hostname \"$name\" cannot be a node name (lowercase letters, digits, - and ., at most 253 characters)"
  fi
  printf '%s\n' "$name"
}
# Read in every script that names the node, preflight's included, where only the refusal matters.
# shellcheck disable=SC2034
K8SPREP_NODE=$(k8sprep_node_name)`;

/** What a step naming the node adds to its helpers: for a template host, the name read at run time; else nothing. */
export function nodeNameHelper(host: Host): string {
  return host.runtimeIdentity ? RUNTIME_NODE_NAME : '';
}

/** The node's name as one shell word: the cluster file's, quoted, or the run-time value. */
export function nodeNameWord(host: Host): string {
  return host.runtimeIdentity ? '"$K8SPREP_NODE"' : shq(host.name);
}

/** `before` + the node's name + `after` as one quoted shell word (a message). */
export function textWithNodeName(host: Host, before: string, after: string): string {
  if (!host.runtimeIdentity) return shq(`${before}${host.name}${after}`);
  return `${before === '' ? '' : shq(before)}"$K8SPREP_NODE"${after === '' ? '' : shq(after)}`;
}

/** The node's name in a file body (a template host's marker is filled on the host: `nodeNameFill`). */
export function nodeNameInFile(host: Host): string {
  return host.runtimeIdentity ? NODE_NAME_PLACEHOLDER : host.name;
}

/** The k8sprep_fill entry for a file that names a template host's node. */
export function nodeNameFill(host: Host): Record<string, string> {
  return host.runtimeIdentity ? { [NODE_NAME_PLACEHOLDER]: '$K8SPREP_NODE' } : {};
}

/** `k8sprep_address_interface IP`: the interface holding that address (kube-vip and keepalived move the VIP there). */
export const ADDRESS_INTERFACE = String.raw`k8sprep_address_interface() {
  ip -o -4 addr show 2>/dev/null | awk -v a="$1" '{split($4, p, "/"); if (p[1] == a) {print $2; exit}}' | grep . ||
    k8sprep_die "no interface on this host holds $1"
}`;

/** Cluster operations: kubectl with the admin kubeconfig, a short request timeout. */
export const KUBECTL = `k8sprep_kubectl() { kubectl --kubeconfig=${ADMIN_CONF} --request-timeout=10s "$@"; }`;

/**
 * `k8sprep_wait_readyz URL SECONDS`: until the API server at URL answers /readyz with ok (the
 * certificate is not verified: nothing is sent but the request).
 */
export const WAIT_READYZ = String.raw`k8sprep_wait_readyz() {
  local deadline=$((SECONDS + $2)) body
  while :; do
    body=$(curl -sfk --noproxy '*' --max-time 5 "$1/readyz" 2>/dev/null) && [ "$body" = ok ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 2
  done
}`;

/** What `kubeadm init`/`join` leave on a node: any of them without a registered Node is a half-joined node. */
export const JOIN_LEFTOVERS = [
  KUBELET_CONF,
  '/etc/kubernetes/bootstrap-kubelet.conf',
  '/etc/kubernetes/manifests/kube-apiserver.yaml',
  '/etc/kubernetes/manifests/etcd.yaml',
];

/**
 * `k8sprep_registration NAME`: `fresh` (nothing kubeadm leaves is here), `registered` (asked
 * with the node's own kubelet.conf: the node authorizer lets a kubelet read its own Node),
 * `unregistered` (leftovers, and the API says NotFound or there is no kubelet.conf to ask with:
 * a half-joined node), or `unknown: <why>` (the API could not be asked: never a reason to reset).
 */
export const REGISTRATION = String.raw`k8sprep_registration() {
  local out f leftovers=no
  for f in ${JOIN_LEFTOVERS.join(' ')}; do [ -e "$f" ] && leftovers=yes; done
  [ "$leftovers" = yes ] || { echo fresh; return 0; }
  [ -e ${KUBELET_CONF} ] || { echo unregistered; return 0; }
  if out=$(kubectl --kubeconfig=${KUBELET_CONF} --request-timeout=10s get node "$1" -o name 2>&1); then
    echo registered
  elif printf '%s\n' "$out" | grep -q '(NotFound)'; then
    echo unregistered
  else
    echo "unknown: $(printf '%s' "$out" | tail -n 1)"
  fi
}`;
