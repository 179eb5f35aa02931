/**
 * systemd units for kubelet release binaries (Arch, when its repository's version is not
 * the cluster's): the unit and kubeadm drop-in the official packages ship (kubernetes/release
 * packaging), with the binary in /usr/local/bin so it never collides with a pacman file.
 */
export function kubeletUnit(kubeletPath: string): string {
  return [
    '# kubelet release binary, installed by k8sprep.',
    '[Unit]',
    'Description=kubelet: The Kubernetes Node Agent',
    'Documentation=https://kubernetes.io/docs/',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `ExecStart=${kubeletPath}`,
    'Restart=always',
    'StartLimitInterval=0',
    'RestartSec=10',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** How kubeadm hands the kubelet its kubeconfigs, config file and per-node flags. */
export function kubeadmDropIn(kubeletPath: string): string {
  return [
    '# kubeadm drop-in for the kubelet, installed by k8sprep.',
    '[Service]',
    'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"',
    'Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"',
    '# Written by "kubeadm init" and "kubeadm join": KUBELET_KUBEADM_ARGS.',
    'EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env',
    '# Last-resort overrides by the operator: KUBELET_EXTRA_ARGS.',
    'EnvironmentFile=-/etc/default/kubelet',
    'ExecStart=',
    `ExecStart=${kubeletPath} $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`,
    '',
  ].join('\n');
}
