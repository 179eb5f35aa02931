"""The files kubeadm writes for the kubelet: the control plane's static pod manifests (with the
flags lib.sh's static pods read: the apiserver's --secure-port and TLS pair, etcd's --name) and
the kubelet's config.yaml and kubeadm-flags.env."""
from __future__ import annotations

import os
from typing import Any

import yaml

MANIFESTS = '/etc/kubernetes/manifests'


def _pod(name: str, image: str, command: list[str]) -> dict[str, Any]:
    return {
        'apiVersion': 'v1', 'kind': 'Pod',
        'metadata': {'name': name, 'namespace': 'kube-system', 'labels': {'component': name, 'tier': 'control-plane'}},
        'spec': {'hostNetwork': True, 'priorityClassName': 'system-node-critical',
                 'containers': [{'name': name, 'image': image, 'command': command}]},
    }


def _write(name: str, pod: dict[str, Any]) -> None:
    os.makedirs(MANIFESTS, exist_ok=True)
    fd = os.open(os.path.join(MANIFESTS, name + '.yaml'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(pod, f, sort_keys=False)


def control_plane(cfg: dict[str, Any], node: str, advertise: str, port: int) -> None:
    """kube-apiserver, kube-controller-manager and kube-scheduler (control-plane phase)."""
    repo, v, pki = cfg['imageRepository'], cfg['version'], cfg['certificatesDir']
    _write('kube-apiserver', _pod('kube-apiserver', f'{repo}/kube-apiserver:v{v}', [
        'kube-apiserver', f'--advertise-address={advertise}', f'--secure-port={port}', f'--client-ca-file={pki}/ca.crt',
        '--etcd-servers=https://127.0.0.1:2379', f'--service-cluster-ip-range={cfg["serviceSubnet"]}',
        f'--tls-cert-file={pki}/apiserver.crt', f'--tls-private-key-file={pki}/apiserver.key']))
    cm = ['kube-controller-manager', '--kubeconfig=/etc/kubernetes/controller-manager.conf', f'--cluster-signing-cert-file={pki}/ca.crt']
    if cfg['podSubnet']:
        cm += ['--allocate-node-cidrs=true', f'--cluster-cidr={cfg["podSubnet"]}']
    _write('kube-controller-manager', _pod('kube-controller-manager', f'{repo}/kube-controller-manager:v{v}', cm))
    _write('kube-scheduler', _pod('kube-scheduler', f'{repo}/kube-scheduler:v{v}', ['kube-scheduler', '--kubeconfig=/etc/kubernetes/scheduler.conf']))


def etcd(cfg: dict[str, Any], node: str, advertise: str, initial_cluster: list[tuple[str, str]], state: str, image: str) -> None:
    pki = cfg['certificatesDir']
    _write('etcd', _pod('etcd', image, [
        'etcd', f'--name={node}', f'--advertise-client-urls=https://{advertise}:2379', f'--initial-advertise-peer-urls=https://{advertise}:2380',
        '--initial-cluster=' + ','.join(f'{n}={u}' for n, u in initial_cluster), f'--initial-cluster-state={state}',
        '--data-dir=/var/lib/etcd', f'--cert-file={pki}/etcd/server.crt', f'--key-file={pki}/etcd/server.key',
        f'--trusted-ca-file={pki}/etcd/ca.crt', '--client-cert-auth=true']))


def kubelet_files(kubelet_doc: dict[str, Any] | None, pause_image: str) -> None:
    os.makedirs('/var/lib/kubelet', exist_ok=True)
    doc = {k: v for k, v in (kubelet_doc or {'apiVersion': 'kubelet.config.k8s.io/v1beta1', 'kind': 'KubeletConfiguration'}).items() if not k.startswith('_')}
    with open('/var/lib/kubelet/config.yaml', 'w') as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    with open('/var/lib/kubelet/kubeadm-flags.env', 'w') as f:
        f.write(f'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image={pause_image}"\n')
