/**
 * `node init`: the ordered phases and where each runs (DESIGN §4 "Cluster bootstrap"): preflight
 * and prep on every host; then certificates on the control planes (after resetting any that an
 * earlier join left half-joined), the API load balancer, `kubeadm init` on the first control
 * plane (and the bootstrap token kept valid), the other control planes joined one at a time —
 * a failure stops the ones after it — the workers in parallel (they join through the endpoint
 * even when a control plane failed), the CNI, every node waited for until Ready, and the admin
 * kubeconfig fetched into the state dir. `--prep-only` stops after prep.
 */
import { join } from 'node:path';
import type { Cluster } from '../cluster/types.js';
import { HOSTS, type Phase, type Placement } from '../run/phase.js';
import { recordTrustedChecksum } from '../state/local-state.js';
import { bootstrapTokenStep } from '../steps/bootstrap/bootstrap-token.js';
import { fetchAdminConf } from '../steps/bootstrap/fetch-admin-conf.js';
import { cniStep } from '../steps/bootstrap/cni.js';
import { halfJoinedStep } from '../steps/bootstrap/half-joined.js';
import { kubeadmInitStep } from '../steps/bootstrap/kubeadm-init.js';
import { kubeadmJoinStep } from '../steps/bootstrap/kubeadm-join.js';
import { haproxyStep, keepalivedStep, kubeVipStep } from '../steps/bootstrap/load-balancer.js';
import { nodesReadyStep } from '../steps/bootstrap/nodes-ready.js';
import { pkiFilesStep } from '../steps/bootstrap/pki-files.js';
import { preflightPhase, prepPhase } from './prep.js';

export interface NodeInitOptions {
  prepOnly: boolean;
}

/** Where `node init` leaves the admin kubeconfig. */
export function adminConfPath(cluster: Cluster): string {
  return join(cluster.stateDir, 'admin.conf');
}

export function bootstrapPhases(): Phase[] {
  const parallel = (hosts: Placement['hosts']): Placement => ({ hosts, order: 'parallel' });
  return [
    { id: 'certs', title: 'certificates on the control planes', placement: parallel(HOSTS.controlPlanes), steps: [halfJoinedStep, pkiFilesStep] },
    { id: 'load-balancer', title: 'the API load balancer', placement: parallel(HOSTS.controlPlanes), steps: [kubeVipStep, haproxyStep, keepalivedStep] },
    { id: 'init', title: 'kubeadm init', placement: parallel(HOSTS.firstControlPlane), steps: [kubeadmInitStep, bootstrapTokenStep] },
    {
      id: 'join-control-plane',
      title: 'control planes join, one at a time',
      placement: { hosts: HOSTS.otherControlPlanes, order: 'one-at-a-time', stopAtFirstFailure: true },
      needs: ['init'],
      steps: [kubeadmJoinStep],
    },
    { id: 'join-worker', title: 'workers join', placement: parallel(HOSTS.workers), needs: ['init'], steps: [halfJoinedStep, kubeadmJoinStep] },
    { id: 'cni', title: 'the CNI', placement: parallel(HOSTS.firstControlPlane), needs: ['init'], steps: [cniStep] },
    {
      id: 'trust-checksum',
      title: "record a manifest's checksum at its first download",
      placement: parallel(HOSTS.firstControlPlane),
      needs: ['cni'],
      run: async (session, ctx) => {
        const first = session.facts.manifestSha256;
        if (!first || session.isDryRun) return;
        await recordTrustedChecksum(ctx.cluster.stateDir, first.url, first.sha256);
        session.notes.push(
          `${first.url} had no known checksum: trusted on first use, sha256 ${first.sha256} recorded in ${join(ctx.cluster.stateDir, 'trusted-checksums')}`,
        );
      },
    },
    { id: 'ready', title: 'every node Ready', placement: parallel(HOSTS.firstControlPlane), needs: ['cni'], steps: [nodesReadyStep] },
    {
      id: 'kubeconfig',
      title: 'the admin kubeconfig',
      placement: parallel(HOSTS.firstControlPlane),
      needs: ['init'],
      run: (session, ctx) => fetchAdminConf(session, adminConfPath(ctx.cluster)),
    },
  ];
}

export function nodeInitPhases(opts: NodeInitOptions): Phase[] {
  const prep = [preflightPhase, prepPhase];
  return opts.prepOnly ? prep : [...prep, ...bootstrapPhases()];
}
