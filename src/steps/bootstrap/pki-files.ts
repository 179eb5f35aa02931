/**
 * The certificates a control plane needs before its `kubeadm init` or `join`, from the local PKI
 * (DESIGN §4): the shared CA material (ca, front-proxy-ca, etcd/ca, sa), identical on every
 * control plane, and the node's own leaves and admin / controller-manager / scheduler
 * kubeconfigs (super-admin.conf on the first, 1.29+). kubeadm uses what it finds ("Using the
 * existing ..."), so no --upload-certs or certificate key is needed. Never kubelet.conf (join's
 * preflight refuses it; the kubelet makes its own) and nothing on workers (join's preflight
 * refuses pki/ca.crt there). Private keys and kubeconfigs are secrets: `<redacted:...>` in a dry run.
 */
import { KUBE_DIR, SHARED_FILES } from '../../pki/layout.js';
import { fileMatches, type FileSpec, writeFile } from '../../script/files.js';
import { isSecretFile, placedSecretName } from '../../state/local-state.js';
import type { Step, StepContext } from '../types.js';

/** kubeadm's modes: certificates 0644, keys and kubeconfigs 0600 (sa.pub too). */
function modeOf(rel: string): string {
  return rel.endsWith('.crt') ? '644' : '600';
}

export function placedFiles(ctx: StepContext): FileSpec[] {
  const state = ctx.bootstrap?.state;
  if (!state) throw new Error('the pki-files step needs the local state');
  const shared = new Set(SHARED_FILES.map((f) => `pki/${f.path}`));
  return [...state.controlPlaneFiles(ctx.host)].map(([rel, content]) => ({
    path: `${KUBE_DIR}/${rel}`,
    mode: modeOf(rel),
    content: isSecretFile(rel) ? `${ctx.secret(placedSecretName(ctx.host, rel, shared.has(rel)))}` : content,
  }));
}

export const pkiFilesStep: Step = {
  id: 'pki-files',
  title: "Place the cluster's CA material and this control plane's certificates and kubeconfigs",
  appliesTo: (ctx) => ctx.host.isControlPlane,
  check: (ctx) =>
    placedFiles(ctx)
      .map((f) => fileMatches(f, '|| return 1'))
      .join('\n'),
  apply: (ctx) =>
    [`mkdir -p ${KUBE_DIR}/pki/etcd`, `chmod 755 ${KUBE_DIR} ${KUBE_DIR}/pki ${KUBE_DIR}/pki/etcd`, ...placedFiles(ctx).map(writeFile)].join('\n'),
};
