/**
 * `node reset --hosts ...` (DESIGN §4 "Reset", kubeadm's documented order): from the operator
 * (a control plane that stays), once the cluster answers with the local CA, drain the nodes;
 * reset the workers (kubeadm reset, then what it leaves) in parallel and delete their Nodes;
 * then each control plane one at a time: reset it, make sure its etcd member is gone (from
 * the operator), delete its Node — a failure stops the control planes after it; then the
 * remaining control planes' haproxy drops the ones that left. When every host of the cluster
 * is named, it is a teardown: no drain, no deletes, workers first, the control planes one at
 * a time, the first last. With --purge each host's preparation is undone after its reset.
 */
import type { Cluster, Host } from '../cluster/types.js';
import { HOSTS, type Phase, type Placement } from '../run/phase.js';
import { haproxyStep } from '../steps/bootstrap/load-balancer.js';
import { resetCleanupStep } from '../steps/reset/cleanup.js';
import { deleteNodesStep, drainStep, etcdMemberGoneStep } from '../steps/reset/cluster-ops.js';
import { kubeadmResetStep } from '../steps/reset/kubeadm-reset.js';
import { purgeStep } from '../steps/reset/purge.js';
import { CLUSTER_CHECK, clusterCheckPhase } from './cluster-check.js';

const only = (host: Host): Placement => ({ hosts: () => [host], order: 'parallel' });
const operator: Placement = { hosts: HOSTS.operator, order: 'parallel' };
/** --purge: host preparation undone too (src/steps/reset/purge.ts). */
export interface ResetOptions {
  purge: boolean;
}

/** A whole-cluster teardown: every host of the cluster file is named. */
export function isTeardown(cluster: Cluster, targets: readonly Host[]): boolean {
  return cluster.hosts.every((h) => targets.includes(h));
}

export function nodeResetPhases(cluster: Cluster, targets: readonly Host[], opts: ResetOptions = { purge: false }): Phase[] {
  const resetSteps = opts.purge ? [kubeadmResetStep, resetCleanupStep, purgeStep] : [kubeadmResetStep, resetCleanupStep];
  const workers = targets.filter((h) => !h.isControlPlane);
  // The first control plane last: in a teardown the cluster stays usable to the end.
  const controlPlanes = cluster.controlPlanes.filter((h) => targets.includes(h)).reverse();
  if (isTeardown(cluster, targets)) {
    return [
      { id: 'reset-workers', title: 'reset the workers', placement: { hosts: () => workers, order: 'parallel' }, steps: resetSteps },
      {
        id: 'reset-control-planes',
        title: 'reset the control planes, one at a time',
        placement: { hosts: () => controlPlanes, order: 'one-at-a-time', stopAtFirstFailure: true },
        steps: resetSteps,
      },
    ];
  }
  const names = (hosts: readonly Host[]) => hosts.map((h) => h.name);
  const phases: Phase[] = [
    clusterCheckPhase,
    { id: 'drain', title: 'drain the nodes', placement: operator, needs: [CLUSTER_CHECK], steps: [drainStep(names(targets))] },
    { id: 'reset-workers', title: 'reset the workers', placement: { hosts: () => workers, order: 'parallel' }, needs: ['drain'], steps: resetSteps },
    { id: 'delete-workers', title: "delete the workers' nodes", placement: operator, needs: ['reset-workers'], steps: [deleteNodesStep(names(workers))] },
  ];
  let previous = 'drain';
  for (const cp of cluster.controlPlanes.filter((h) => targets.includes(h))) {
    phases.push(
      { id: `reset-${cp.name}`, title: `reset ${cp.name}`, placement: only(cp), needs: [previous], steps: resetSteps },
      {
        id: `etcd-member-${cp.name}`,
        title: `${cp.name} is no etcd member`,
        placement: operator,
        needs: [`reset-${cp.name}`],
        steps: [etcdMemberGoneStep(cp.name)],
      },
      {
        id: `delete-node-${cp.name}`,
        title: `delete ${cp.name}'s node`,
        placement: operator,
        needs: [`etcd-member-${cp.name}`],
        steps: [deleteNodesStep([cp.name])],
      },
    );
    previous = `delete-node-${cp.name}`;
  }
  if (controlPlanes.length > 0) {
    phases.push({
      id: 'update-cluster',
      title: "the remaining control planes' haproxy drops the ones that left",
      placement: { hosts: HOSTS.existingControlPlanes, order: 'parallel' },
      needs: [previous],
      steps: [haproxyStep],
    });
  }
  return phases;
}
