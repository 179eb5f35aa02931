"""`kubeadm init --config F`: kubeadm's phases in its order, against this host and the shared
cluster: preflight, certs, kubeconfig, etcd and control-plane manifests, kubelet-start, the
static pods, the api-check on the controlPlaneEndpoint, then the cluster is recorded (CA,
endpoint, version, tokens, the etcd member, the Node)."""
from __future__ import annotations

import os
import socket
import time
from typing import Any

from . import apiclient, certs, config, host, manifests, objects, pki, settings, state
from .errors import KubeadmError, PhaseError
from .kubeadm import config_file, host_address, kubeadm_version, logged
from .preflight import Preflight

API_CHECK_CAP = 20.0  # seconds: kubeadm waits 4m by default, a test should not


def run(flags: dict[str, list[str]]) -> None:
    checks: dict[str, Any] = {}
    with logged('init', checks):
        try:
            docs, warnings = config.load(config_file(flags), kubeadm_version(), strict=False)
            cfg = settings.init_config(docs, host_address(), kubeadm_version())
        except config.ConfigError as e:
            raise KubeadmError(str(e)) from e
        for w in warnings:
            print(w)
        _init(cfg, flags, checks)


def _init(cfg: dict[str, Any], flags: dict[str, list[str]], checks: dict[str, Any]) -> None:
    version, self_version = cfg['version'], kubeadm_version()
    node, adv, port = cfg['node']['name'], cfg['advertiseAddress'], cfg['bindPort']
    endpoint = cfg['controlPlaneEndpoint'] or f'{adv}:{port}'
    checks.update(node=node, endpoint=endpoint, kubernetesVersion=version,
                  kubeletConfPreplaced=os.path.exists('/etc/kubernetes/kubelet.conf'), caFiles=certs.present(cfg['certificatesDir']))
    print(f'[init] Using Kubernetes version: v{version}')
    if state.read('cluster').get('initialized'):
        raise PhaseError('preflight', f'k8sprep test host: the shared cluster was initialised by {state.read("cluster")["by"]} already; '
                         'a second kubeadm init would make a second cluster')
    images = host.kube_images(version, cfg['imageRepository'])
    if images is None:
        raise KubeadmError(f'this version of kubeadm does not know the images of Kubernetes v{version}')
    pre = Preflight(flags.get('--ignore-preflight-errors', []) + cfg['node']['ignorePreflightErrors'])
    pre.common(self_version, cfg['kubelet'])
    pre.control_plane(port)
    pre.images(images)
    pre.finish(checks)

    admins = 'kubeadm:cluster-admins' if config.minor(self_version) >= 29 else 'system:masters'
    certs.certs_phase(cfg, False, admins, checks)
    server, local = f'https://{endpoint}', f'https://{adv}:{port}'
    confs = [('admin.conf', 'kubernetes-admin', 'kubernetes-admin', admins, server)]
    if config.minor(self_version) >= 29:
        confs.append(('super-admin.conf', 'kubernetes-super-admin', 'kubernetes-super-admin', 'system:masters', server))
    confs += [('kubelet.conf', f'system:node:{node}', f'system:node:{node}', 'system:nodes', server),
              ('controller-manager.conf', 'system:kube-controller-manager', 'system:kube-controller-manager', None, local),
              ('scheduler.conf', 'system:kube-scheduler', 'system:kube-scheduler', None, local)]
    certs.kubeconfig_phase(cfg, confs, 'kubeconfig', checks)

    print(f'[etcd] Creating static Pod manifest for local etcd in "{manifests.MANIFESTS}"')
    etcd_image = next(i for i in images if '/etcd:' in i)
    peer = f'https://{adv}:2380'
    manifests.etcd(cfg, node, adv, [(node, peer)], 'new', etcd_image)
    print('[control-plane] Creating static Pod manifests for "kube-apiserver", "kube-controller-manager", "kube-scheduler"')
    manifests.control_plane(cfg, node, adv, port)
    with state.locked() as st:
        st['members'] = [{'id': objects.member_id(node, peer), 'name': node, 'peerURL': peer, 'clientURL': f'https://{adv}:2379', 'started': False}]
    print('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"')
    manifests.kubelet_files(cfg['kubelet'], next(i for i in images if '/pause:' in i))
    print('[kubelet-start] Starting the kubelet')
    host.set_unit_active('kubelet.service', True)
    host.sync_static_pods()
    time.sleep(state.latency('init'))
    _api_check(endpoint, min(cfg['apiCheckSeconds'], API_CHECK_CAP), checks)
    token = _record(cfg, node, endpoint, admins)
    _finish(endpoint, token, '--skip-token-print' in flags)


def _api_check(endpoint: str, seconds: float, checks: dict[str, Any]) -> None:
    print('[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"')
    print(f'[api-check] Waiting for a healthy API server. This can take up to {int(seconds)}s')
    deadline = time.monotonic() + seconds
    while not apiclient.curl_readyz(endpoint):
        if time.monotonic() > deadline:
            checks['apiCheck'] = 'timeout'
            print(f'[api-check] The API server is not healthy after {int(seconds)}s')
            raise PhaseError('wait-control-plane', f'failed while waiting for the API server: Get "https://{endpoint}/readyz": context deadline exceeded\n'
                             "couldn't initialize a Kubernetes cluster")
        host.sync_static_pods()  # the kubelet restarts what exited
        time.sleep(0.25)
    checks['apiCheck'] = 'ok'
    print('[api-check] The API server is healthy')


def _record(cfg: dict[str, Any], node: str, endpoint: str, admins: str) -> str:
    with open(os.path.join(cfg['certificatesDir'], 'ca.crt')) as f:
        ca = f.read()
    # The controller-manager's CSR signer: it signs every kubelet's client certificate at its TLS bootstrap.
    with open(os.path.join(cfg['certificatesDir'], 'ca.key')) as f:
        ca_key = f.read()
    with state.locked() as st:
        if st['cluster'].get('initialized'):
            raise PhaseError('upload-config', f'k8sprep test host: the shared cluster was initialised by {st["cluster"]["by"]} meanwhile')
        st['cluster'] = {
            'initialized': True, 'by': socket.gethostname(), 'at': state.log_time(state.now()),
            'caCert': ca, 'caKey': ca_key, 'caCertHash': pki.spki_hash(ca), 'endpoint': endpoint, 'controlPlaneEndpoint': cfg['controlPlaneEndpoint'], 'kubernetesVersion': cfg['version'],
            'imageRepository': cfg['imageRepository'], 'podSubnet': cfg['podSubnet'], 'serviceSubnet': cfg['serviceSubnet'],
            'dnsDomain': cfg['dnsDomain'], 'certSANs': cfg['certSANs'], 'certificatesDir': cfg['certificatesDir'], 'adminsGroup': admins,
        }
        tokens = cfg['bootstrapTokens'] or [{'token': None, 'ttl': 86400.0, 'usages': ['signing', 'authentication'],
                                             'groups': ['system:bootstrappers:kubeadm:default-node-token'],
                                             'description': "The default bootstrap token generated by 'kubeadm init'."}]
        st['tokens'] = []
        first = [objects.add_token(st, t['token'], t['ttl'], t['description'], t['usages'], t['groups']) for t in tokens][0]
        kubelet = host.package_version('kubelet') or cfg['version']
        objects.register_node(st, node, socket.gethostname(), cfg['advertiseAddress'], True, cfg['node']['taints'], kubelet)
    with open(os.path.join(host.TH_STATE, 'kubeadm'), 'w') as f:
        f.write(f'init v{cfg["version"]}\n')
    print('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace')
    print(f'[mark-control-plane] Marking the node {node} as control-plane by adding the labels: '
          '[node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]')
    print('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
    return first


def _finish(endpoint: str, token: str, skip_token: bool) -> None:
    ca_hash = state.read('cluster')['caCertHash']
    print(f'[bootstrap-token] Using token: {"<value withheld>" if skip_token else token}')
    print('\nYour Kubernetes control-plane has initialized successfully!\n')
    if not skip_token:
        print(f'kubeadm join {endpoint} --token {token} \\\n\t--discovery-token-ca-cert-hash {ca_hash}')
