"""`kubeadm join --config F`: preflight on this host, discovery against the shared cluster (the
endpoint answers, the token is known and unexpired, a caCertHashes entry pins the cluster CA),
for a control plane the shared CA files and kubeadm's certs/kubeconfig checks, then the kubelet
(kubelet.conf), the Node, and for a control plane its etcd member and static pods."""
from __future__ import annotations

import os
import socket
import tempfile
import time
from typing import Any

from . import apiclient, certs, config, host, manifests, objects, pki, settings, state
from .errors import KubeadmError, PhaseError
from .init import API_CHECK_CAP
from .kubeadm import config_file, host_address, kubeadm_version, logged
from .preflight import Preflight


def run(flags: dict[str, list[str]]) -> None:
    checks: dict[str, Any] = {}
    with logged('join', checks):
        try:
            docs, warnings = config.load(config_file(flags), kubeadm_version(), strict=False)
            cfg = settings.join_config(docs, host_address())
        except config.ConfigError as e:
            raise KubeadmError(str(e)) from e
        for w in warnings:
            print(w)
        _join(cfg, flags, checks)


def _join(cfg: dict[str, Any], flags: dict[str, list[str]], checks: dict[str, Any]) -> None:
    cp = cfg['controlPlane']
    node = cfg['node']['name']
    checks.update(node=node, controlPlane=cp is not None, token=cfg['token'].split('.')[0], caCertHashes=cfg['caCertHashes'],
                  kubeletConfPreplaced=os.path.exists('/etc/kubernetes/kubelet.conf'),
                  bootstrapKubeletConfPreplaced=os.path.exists('/etc/kubernetes/bootstrap-kubelet.conf'),
                  caFiles=certs.present('/etc/kubernetes/pki'))
    pre = Preflight(flags.get('--ignore-preflight-errors', []) + cfg['node']['ignorePreflightErrors'])
    pre.common(kubeadm_version(), None)
    pre.file_available('/etc/kubernetes/kubelet.conf')
    pre.file_available('/etc/kubernetes/bootstrap-kubelet.conf')
    if cp is None:
        pre.file_available(cfg['caCertPath'])
    else:
        pre.control_plane(cp['bindPort'])
    pre.finish(checks)

    cluster = _discover(cfg, checks)
    if cp is not None:
        _ready_for_control_plane(cluster, checks)
        _prepare_control_plane(cfg, cluster, node, checks)
    _kubelet_start(cfg, cluster, node, checks)
    if cp is not None:
        _etcd_member(cluster, node, cp['advertiseAddress'])
        print(f'[mark-control-plane] Marking the node {node} as control-plane by adding the labels: '
              '[node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]')
    host.sync_static_pods()
    with open(os.path.join(host.TH_STATE, 'kubeadm'), 'w') as f:
        f.write('join\n')
    print('\nThis node has joined the cluster:')
    print('* Certificate signing request was sent to apiserver and a response was received.')
    print("* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster.")


def _discover(cfg: dict[str, Any], checks: dict[str, Any]) -> dict[str, Any]:
    """The discovery of the preflight phase: cluster-info from the endpoint, token and CA pins."""
    endpoint = cfg['apiServerEndpoint']
    print('[preflight] Reading configuration from the cluster...')
    deadline = time.monotonic() + min(cfg['discoverySeconds'], API_CHECK_CAP)
    url = f'https://{endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s'
    while not apiclient.curl_readyz(endpoint):
        if time.monotonic() > deadline:
            checks['endpoint'] = 'unreachable'
            raise PhaseError('preflight', f"couldn't validate the identity of the API Server: Get \"{url}\": dial tcp {endpoint}: connect: connection refused")
        time.sleep(0.25)
    checks['endpoint'] = 'ok'
    with state.locked() as st:
        cluster = st['cluster']
        if not cluster.get('initialized'):
            raise PhaseError('preflight', 'couldn\'t validate the identity of the API Server: configmaps "cluster-info" not found')
        token_id, secret = cfg['token'].split('.')
        token = next((t for t in objects.live_tokens(st) if t['id'] == token_id), None)
        checks['tokenValid'] = token is not None and token['secret'] == secret
        if token is None:
            raise PhaseError('preflight', f'couldn\'t validate the identity of the API Server: token id "{token_id}" is invalid for this cluster or it has expired. '
                             'Use "kubeadm token create" on the control-plane node to create a new valid token')
        if token['secret'] != secret:
            raise PhaseError('preflight', "couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server")
    if not cfg['unsafeSkipCAVerification']:
        checks['caCertHashMatched'] = cluster['caCertHash'] in (h.lower() for h in cfg['caCertHashes'])
        if not checks['caCertHashMatched']:
            raise PhaseError('preflight', "couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: "
                             f'none of the public keys "{cluster["caCertHash"]}" are pinned')
    return cluster


# (file, what failed to load, file kind) as SharedCertificateExists words them
SHARED_FILES = (
    ('ca.crt', 'certificate for CA', 'certificate'), ('ca.key', 'key for CA', 'private key'),
    ('sa.key', 'key for service account', 'private key'), ('sa.pub', 'public key for service account', 'public key'),
    ('front-proxy-ca.crt', 'certificate for front-proxy CA', 'certificate'), ('front-proxy-ca.key', 'key for front-proxy CA', 'private key'),
    ('etcd/ca.crt', 'certificate for etcd CA', 'certificate'), ('etcd/ca.key', 'key for etcd CA', 'private key'),
)


def _ready_for_control_plane(cluster: dict[str, Any], checks: dict[str, Any]) -> None:
    """checkIfReadyForAdditionalControlPlane without a certificateKey: the shared CA files,
    and (a test-host addition) ca.crt must be the cluster's own CA."""
    problems = []
    if not cluster['controlPlaneEndpoint']:
        problems.append("unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address")
    d = cluster['certificatesDir']
    for name, what, kind in SHARED_FILES:
        path = os.path.join(d, name)
        if not os.path.exists(path):
            problems.append(f"failure loading {what}: couldn't load the {kind} file {path}: open {path}: no such file or directory")
    ca_path = os.path.join(d, 'ca.crt')
    if os.path.exists(ca_path):
        with open(ca_path) as f:
            checks['caIsClusterCa'] = pki.der_of(f.read()) == pki.der_of(cluster['caCert'])
        if not checks['caIsClusterCa']:
            problems.append(f"failure loading certificate for CA: {ca_path} is not the cluster's CA certificate (cluster-info holds another one)")
    if problems:
        raise PhaseError('preflight', '\nOne or more conditions for hosting a new control plane instance is not satisfied.\n\n' + '\n'.join(problems) +
                         '\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n'
                         '* The certificates that must be shared among control plane instances are provided.\n')


def _prepare_control_plane(cfg: dict[str, Any], cluster: dict[str, Any], node: str, checks: dict[str, Any]) -> None:
    cp = cfg['controlPlane']
    cc = {'node': {'name': node}, 'advertiseAddress': cp['advertiseAddress'], 'bindPort': cp['bindPort'], 'dnsDomain': cluster['dnsDomain'],
          'serviceSubnet': cluster['serviceSubnet'], 'controlPlaneEndpoint': cluster['endpoint'], 'certSANs': cluster['certSANs'],
          'certificatesDir': cluster['certificatesDir'], 'imageRepository': cluster['imageRepository'], 'version': cluster['kubernetesVersion'],
          'podSubnet': cluster['podSubnet']}
    print('[control-plane-prepare] Generating certificates')
    certs.certs_phase(cc, True, cluster['adminsGroup'], checks)
    server, local = f'https://{cluster["endpoint"]}', f'https://{cp["advertiseAddress"]}:{cp["bindPort"]}'
    certs.kubeconfig_phase(cc, [
        ('admin.conf', 'kubernetes-admin', 'kubernetes-admin', cluster['adminsGroup'], server),
        ('controller-manager.conf', 'system:kube-controller-manager', 'system:kube-controller-manager', None, local),
        ('scheduler.conf', 'system:kube-scheduler', 'system:kube-scheduler', None, local),
    ], 'control-plane-prepare/kubeconfig', checks)
    manifests.control_plane(cc, node, cp['advertiseAddress'], cp['bindPort'])
    cfg['clusterConfig'] = cc


def _kubelet_start(cfg: dict[str, Any], cluster: dict[str, Any], node: str, checks: dict[str, Any]) -> None:
    with state.locked() as st:
        existing = st['nodes'].get(node)
        if existing and objects.ready(st, existing)[0] == 'True':
            raise PhaseError('kubelet-start', f'a Node with name "{node}" and status "Ready" already exists in the cluster. '
                             'You must delete the existing Node or change the name of this new joining Node')
    print('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"')
    images = host.kube_images(cluster['kubernetesVersion'], cluster['imageRepository']) or []
    manifests.kubelet_files(None, next((i for i in images if '/pause:' in i), 'registry.k8s.io/pause:3.10'))
    # The TLS bootstrap writes the cluster CA (a worker's only pki file) and kubelet.conf.
    ca_crt = cfg['caCertPath']
    if not os.path.exists(ca_crt):
        os.makedirs(os.path.dirname(ca_crt), exist_ok=True)
        with open(ca_crt, 'w') as f:
            f.write(cluster['caCert'])
    _write_kubelet_conf(cluster, node)
    print('[kubelet-start] Starting the kubelet')
    host.set_unit_active('kubelet.service', True)
    print('[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap')
    with state.locked() as st:
        halfway = st['faults']['failJoin'].pop(socket.gethostname(), None)
    if halfway:
        checks['injected'] = halfway
        raise PhaseError('kubelet-start', 'timed out waiting for the condition')
    if cfg['controlPlane'] is None:
        time.sleep(state.latency('join'))
    with state.locked() as st:
        cp = cfg['controlPlane']
        objects.register_node(st, node, socket.gethostname(), cp['advertiseAddress'] if cp else host_address(), cp is not None,
                              cfg['node']['taints'], host.package_version('kubelet') or cluster['kubernetesVersion'])


def _write_kubelet_conf(cluster: dict[str, Any], node: str) -> None:
    """kubelet.conf as the TLS bootstrap leaves it: the cluster's CA and the node's identity, its
    client certificate signed by the cluster CA (the controller-manager's signer, whose key init
    recorded), so the node can ask the API about itself with it, as a real kubelet.conf can."""
    with tempfile.TemporaryDirectory() as signer:
        for name, pem in (('ca.crt', cluster['caCert']), ('ca.key', cluster['caKey'])):
            fd = os.open(os.path.join(signer, name), os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, 'w') as f:
                f.write(pem)
        pki.kubeconfig('/etc/kubernetes/kubelet.conf', signer, f'https://{cluster["endpoint"]}', f'system:node:{node}',
                       f'system:node:{node}', 'system:nodes')


def _etcd_member(cluster: dict[str, Any], node: str, advertise: str) -> None:
    """control-plane-join/etcd: add the member (etcd refuses while another new member has not
    started: joins of control planes must not overlap), write etcd.yaml, wait for it."""
    peer = f'https://{advertise}:2380'
    with state.locked() as st:
        if any(not m['started'] for m in st['members']):
            raise PhaseError('control-plane-join/etcd', 'error creating local etcd static pod manifest file: etcdserver: unhealthy cluster')
        if any(m['peerURL'] == peer for m in st['members']):
            raise PhaseError('control-plane-join/etcd', 'error creating local etcd static pod manifest file: etcdserver: Peer URLs already exists')
        st['members'].append({'id': objects.member_id(node, peer), 'name': node, 'peerURL': peer, 'clientURL': f'https://{advertise}:2379', 'started': False})
        initial = [(m['name'], m['peerURL']) for m in st['members']]
    images = host.kube_images(cluster['kubernetesVersion'], cluster['imageRepository']) or []
    cc = {'certificatesDir': cluster['certificatesDir']}
    manifests.etcd(cc, node, advertise, initial, 'existing', next((i for i in images if '/etcd:' in i), 'registry.k8s.io/etcd'))
    print('[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s')
    time.sleep(state.latency('join'))
    deadline = time.monotonic() + 10
    while True:
        host.sync_static_pods()
        if any(m['peerURL'] == peer and m['started'] for m in state.read('members')):
            return
        if time.monotonic() > deadline:
            raise PhaseError('control-plane-join/etcd', 'error creating local etcd static pod manifest file: timeout waiting for etcd cluster to be available')
        time.sleep(0.25)
