/**
 * `kubeadm reset -f` on a node leaving the cluster (DESIGN §4 "Reset"): it removes the static
 * pod manifests, /etc/kubernetes/pki, the kubeconfigs, /var/lib/etcd and /var/lib/kubelet,
 * and takes a control plane's etcd member out of the cluster when it can (best effort: the
 * etcd-member step confirms it from a remaining control plane). The kubelet is stopped. Done
 * when nothing kubeadm leaves is there and the kubelet is not running.
 */
import { CONTAINERD_SOCKET } from '../../templates/containerd.js';
import type { Step } from '../types.js';
import { JOIN_LEFTOVERS } from '../bootstrap/host-values.js';

const LEFTOVERS = [...JOIN_LEFTOVERS, '/etc/kubernetes/admin.conf', '/etc/kubernetes/pki/ca.crt', '/var/lib/etcd/member'];

export const kubeadmResetStep: Step = {
  id: 'kubeadm-reset',
  title: 'Take the node out of Kubernetes with kubeadm reset',
  appliesTo: () => true,
  check: () => [...LEFTOVERS.map((f) => `[ ! -e ${f} ] &&`), '! systemctl is-active --quiet kubelet'].join('\n'),
  apply: () =>
    [
      // kubeadm may be gone already (a host half torn down by hand): the files go anyway.
      `if command -v kubeadm >/dev/null 2>&1; then kubeadm reset -f --cri-socket ${CONTAINERD_SOCKET} >&2; fi`,
      `rm -rf ${LEFTOVERS.join(' ')} /etc/kubernetes/manifests/kube-*.yaml /etc/kubernetes/manifests/etcd.yaml`,
      'if systemctl is-active --quiet kubelet; then systemctl stop kubelet; fi',
    ].join('\n'),
};
