/**
 * What a remaining control plane does for nodes that leave (DESIGN §4 "Reset", kubeadm's
 * documented order): drain them first (`kubectl drain`, DaemonSets ignored, emptyDir data
 * deleted, a timeout), and after their `kubeadm reset` make sure a control plane's etcd member
 * is gone (kubeadm reset removes it when it can; etcdctl in the local etcd pod removes it when
 * not), then delete the Node (deleting before the reset would let the running kubelet register
 * it again). Each step runs on the operator: a control plane that stays.
 */
import { shqAll } from '../../script/quote.js';
import type { Step } from '../types.js';
import { KUBECTL } from '../bootstrap/host-values.js';

export const DRAIN_TIMEOUT = '300s';

const ETCDCTL = String.raw`# k8sprep_etcdctl ARGS...: etcdctl inside this control plane's etcd pod, as kubeadm's healthcheck client.
k8sprep_etcdctl() {
  local id
  id=$(crictl ps -q --name '^etcd$' 2>/dev/null | head -n 1)
  [ -n "$id" ] || k8sprep_die "no running etcd container on this control plane"
  crictl exec "$id" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
    --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key "$@"
}
# k8sprep_etcd_member_id NAME: the member's hex id, empty when it is not a member.
k8sprep_etcd_member_id() {
  k8sprep_etcdctl member list | awk -F', ' -v n="$1" '$3 == n {print $1; exit}'
}`;

const NODE_STATE = String.raw`# k8sprep_node_state NAME: absent, cordoned or schedulable.
k8sprep_node_state() {
  local out
  if ! out=$(k8sprep_kubectl get node "$1" -o 'jsonpath={.spec.unschedulable}' 2>&1); then
    printf '%s\n' "$out" | grep -q '(NotFound)' && { echo absent; return 0; }
    k8sprep_die "cannot read node $1: $(printf '%s' "$out" | tail -n 1)"
  fi
  if [ "$out" = true ]; then echo cordoned; else echo schedulable; fi
}`;

/** Drains every named node that is still a schedulable, registered node. */
export function drainStep(names: readonly string[]): Step {
  const list = shqAll(names);
  return {
    id: 'drain',
    title: `Drain ${names.join(', ')}`,
    appliesTo: () => names.length > 0,
    helpers: () => [KUBECTL, NODE_STATE],
    check: () => `local n\nfor n in ${list}; do [ "$(k8sprep_node_state "$n")" != schedulable ] || return 1; done`,
    apply: () =>
      [
        'local n',
        `for n in ${list}; do`,
        '  [ "$(k8sprep_node_state "$n")" = absent ] && continue',
        `  k8sprep_kubectl drain "$n" --ignore-daemonsets --delete-emptydir-data --force --timeout=${DRAIN_TIMEOUT} >&2`,
        'done',
      ].join('\n'),
  };
}

/** The control plane `name` is not an etcd member any more (removed here when kubeadm reset could not). */
export function etcdMemberGoneStep(name: string): Step {
  return {
    id: 'etcd-member',
    title: `Make sure ${name} is no etcd member`,
    appliesTo: (ctx) => ctx.host.isControlPlane,
    helpers: () => [ETCDCTL],
    check: () => `[ -z "$(k8sprep_etcd_member_id ${name})" ]`,
    apply: () =>
      [
        'local id',
        `id=$(k8sprep_etcd_member_id ${name})`,
        'k8sprep_etcdctl member remove "$id" >&2',
        `k8sprep_note "${name} was still an etcd member after kubeadm reset: removed (member $id)"`,
      ].join('\n'),
  };
}

/** The named nodes are no Nodes of the cluster any more. */
export function deleteNodesStep(names: readonly string[]): Step {
  const list = shqAll(names);
  return {
    id: 'delete-node',
    title: `Delete the node${names.length > 1 ? 's' : ''} ${names.join(', ')}`,
    appliesTo: () => names.length > 0,
    helpers: () => [KUBECTL, NODE_STATE],
    check: () => `local n\nfor n in ${list}; do [ "$(k8sprep_node_state "$n")" = absent ] || return 1; done`,
    apply: () => ['local n', `for n in ${list}; do`, '  [ "$(k8sprep_node_state "$n")" = absent ] || k8sprep_kubectl delete node "$n" >&2', 'done'].join('\n'),
  };
}
