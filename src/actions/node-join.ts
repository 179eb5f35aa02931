/**
 * `node join --hosts ...`: hosts already in the cluster file, not yet in the cluster, prepared
 * and joined to the running cluster (DESIGN §1). The facts of the cluster's hosts are read
 * (read-only) so preflight's cross-host checks compare the new hosts with them; the running
 * cluster must answer, with the local CA, before anything changes on a new host; then prep,
 * certificates and load balancer on new control planes, what depends on the set of control
 * planes on the existing hosts (haproxy's backends, /etc/hosts), the bootstrap token kept
 * valid, control planes joined one at a time, workers in parallel, and the new nodes waited
 * for until Ready.
 */
import { HOSTS, type Phase, type Placement } from '../run/phase.js';
import { bootstrapTokenStep } from '../steps/bootstrap/bootstrap-token.js';
import { halfJoinedStep } from '../steps/bootstrap/half-joined.js';
import { kubeadmJoinStep } from '../steps/bootstrap/kubeadm-join.js';
import { haproxyStep, keepalivedStep, kubeVipStep } from '../steps/bootstrap/load-balancer.js';
import { nodesReadyStep } from '../steps/bootstrap/nodes-ready.js';
import { pkiFilesStep } from '../steps/bootstrap/pki-files.js';
import { hostnameStep } from '../steps/hostname.js';
import { clusterFactsStep } from '../steps/preflight/cluster-facts.js';
import { CLUSTER_CHECK, clusterCheckPhase } from './cluster-check.js';
import { preflightPhase, prepPhase } from './prep.js';

const parallel = (hosts: Placement['hosts']): Placement => ({ hosts, order: 'parallel' });
const targetControlPlanes: Placement['hosts'] = (ctx) => ctx.targets.filter((h) => h.isControlPlane);

export function nodeJoinPhases(): Phase[] {
  return [
    {
      id: 'cluster-facts',
      title: "the cluster's hosts, for preflight's comparisons (read-only)",
      placement: parallel(HOSTS.existing),
      steps: [clusterFactsStep],
    },
    preflightPhase,
    { ...clusterCheckPhase, needs: ['preflight'] },
    { ...prepPhase, needs: [CLUSTER_CHECK] },
    {
      id: 'certs',
      title: 'certificates on the new control planes',
      placement: parallel(targetControlPlanes),
      needs: [CLUSTER_CHECK],
      steps: [halfJoinedStep, pkiFilesStep],
    },
    {
      id: 'load-balancer',
      title: 'the API load balancer on the new control planes',
      placement: parallel(targetControlPlanes),
      needs: [CLUSTER_CHECK],
      steps: [kubeVipStep, haproxyStep, keepalivedStep],
    },
    {
      id: 'update-cluster',
      title: 'the existing hosts learn the new ones (/etc/hosts, haproxy backends)',
      placement: parallel(HOSTS.existing),
      needs: [CLUSTER_CHECK],
      steps: [hostnameStep, haproxyStep],
    },
    {
      id: 'token',
      title: 'the bootstrap token, valid for the joins',
      placement: parallel(HOSTS.operator),
      needs: [CLUSTER_CHECK],
      steps: [bootstrapTokenStep],
    },
    {
      id: 'join-control-plane',
      title: 'control planes join, one at a time',
      placement: { hosts: targetControlPlanes, order: 'one-at-a-time', stopAtFirstFailure: true },
      needs: ['token'],
      steps: [kubeadmJoinStep],
    },
    { id: 'join-worker', title: 'workers join', placement: parallel(HOSTS.workers), needs: ['token'], steps: [halfJoinedStep, kubeadmJoinStep] },
    { id: 'ready', title: 'the new nodes Ready', placement: parallel(HOSTS.operator), needs: ['token'], steps: [nodesReadyStep] },
  ];
}
