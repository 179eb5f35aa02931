"""What kubeadm init and join take from their config documents, with kubeadm's defaults, and the
value checks kubeadm's validation makes on the fields k8sprep writes."""
from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any

from .config import ConfigError, duration_seconds, minor

TOKEN_RE = re.compile(r'^([a-z0-9]{6})\.([a-z0-9]{16})$')


def _get(doc: dict[str, Any] | None, *path: str, default: Any = None) -> Any:
    cur: Any = doc or {}
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return default
        cur = cur[p]
    return cur


def _check_token(value: Any, where: str) -> str:
    token = str(value)
    if not TOKEN_RE.match(token):
        raise ConfigError(f'{where}: Invalid value: "{token}": the bootstrap token "{token}" was not of the form "^([a-z0-9]{{6}})\\.([a-z0-9]{{16}})$"')
    return token


def _check_cidr(value: Any, where: str) -> str:
    for part in str(value).split(','):
        try:
            ipaddress.ip_network(part.strip(), strict=False)
        except ValueError as e:
            raise ConfigError(f'{where}: Invalid value: "{value}": couldn\'t parse subnet') from e
    return str(value)


def _node_registration(doc: dict[str, Any]) -> dict[str, Any]:
    reg = doc.get('nodeRegistration') or {}
    taints = reg.get('taints')  # None: kubeadm's default; []: none
    for i, t in enumerate(taints or []):
        if t.get('effect') not in ('NoSchedule', 'PreferNoSchedule', 'NoExecute'):
            raise ConfigError(f'nodeRegistration.taints[{i}].effect: Unsupported value: "{t.get("effect", "")}": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"')
    return {
        'name': str(reg.get('name') or socket.gethostname()).lower(),
        'taints': None if taints is None else [{k: t[k] for k in ('key', 'value', 'effect') if k in t} for t in taints],
        'ignorePreflightErrors': [str(x) for x in reg.get('ignorePreflightErrors') or []],
    }


def init_config(docs: dict[str, dict[str, Any]], host_address: str, kubeadm_version: str) -> dict[str, Any]:
    """InitConfiguration + ClusterConfiguration with kubeadm's defaults, validated."""
    init, cluster = docs.get('InitConfiguration', {}), docs.get('ClusterConfiguration', {})
    version = str(cluster.get('kubernetesVersion') or f'v{kubeadm_version}').lstrip('v')
    if not re.match(r'^\d+\.\d+\.\d+$', version):
        raise ConfigError(f'couldn\'t parse Kubernetes version "{version}"')
    if minor(version) < minor(kubeadm_version) - 1:
        raise ConfigError(f'this version of kubeadm only supports deploying clusters with the control plane version >= 1.{minor(kubeadm_version) - 1}.0. Current version: v{version}')
    tokens = []
    for i, t in enumerate(init.get('bootstrapTokens') or []):
        tokens.append({
            'token': _check_token(t.get('token'), f'bootstrapTokens[{i}].token'),
            'ttl': duration_seconds(t.get('ttl', '24h0m0s')),
            'usages': t.get('usages') or ['signing', 'authentication'],
            'groups': t.get('groups') or ['system:bootstrappers:kubeadm:default-node-token'],
            'description': str(t.get('description') or ''),
        })
    endpoint = _get(init, 'localAPIEndpoint') or {}
    timeout = _get(init, 'timeouts', 'controlPlaneComponentHealthCheck') if init.get('_version') == 'v1beta4' else _get(cluster, 'apiServer', 'timeoutForControlPlane')
    networking = cluster.get('networking') or {}
    return {
        'node': _node_registration(init),
        'advertiseAddress': str(endpoint.get('advertiseAddress') or host_address),
        'bindPort': int(endpoint.get('bindPort') or 6443),
        'bootstrapTokens': tokens,
        'version': version,
        'controlPlaneEndpoint': str(cluster.get('controlPlaneEndpoint') or ''),
        'imageRepository': str(cluster.get('imageRepository') or 'registry.k8s.io'),
        'podSubnet': _check_cidr(networking['podSubnet'], 'networking.podSubnet') if networking.get('podSubnet') else '',
        'serviceSubnet': _check_cidr(networking.get('serviceSubnet') or '10.96.0.0/12', 'networking.serviceSubnet'),
        'dnsDomain': str(networking.get('dnsDomain') or 'cluster.local'),
        'certSANs': [str(s) for s in _get(cluster, 'apiServer', 'certSANs', default=[]) or []],
        'certificatesDir': str(cluster.get('certificatesDir') or '/etc/kubernetes/pki'),
        'apiCheckSeconds': duration_seconds(timeout) if timeout else 240.0,
        'kubelet': docs.get('KubeletConfiguration'),
    }


def join_config(docs: dict[str, dict[str, Any]], host_address: str) -> dict[str, Any]:
    """JoinConfiguration with kubeadm's defaults, validated."""
    if 'JoinConfiguration' not in docs:
        raise ConfigError('no JoinConfiguration found in the config file')
    join = docs['JoinConfiguration']
    token = _get(join, 'discovery', 'bootstrapToken') or {}
    if not token:
        raise ConfigError('discovery: Invalid value: "": bootstrapToken or file must be set')
    if not token.get('apiServerEndpoint'):
        raise ConfigError('discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": the API server endpoint must be set')
    hashes = [str(h) for h in token.get('caCertHashes') or []]
    unsafe = bool(token.get('unsafeSkipCAVerification'))
    if not hashes and not unsafe:
        raise ConfigError('discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. '
                          'Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue')
    control_plane = join.get('controlPlane')
    timeout = _get(join, 'timeouts', 'discovery') if join.get('_version') == 'v1beta4' else _get(join, 'discovery', 'timeout')
    return {
        'node': _node_registration(join),
        'token': _check_token(token.get('token') or _get(join, 'discovery', 'tlsBootstrapToken'), 'discovery.bootstrapToken.token'),
        'apiServerEndpoint': str(token.get('apiServerEndpoint') or ''),
        'caCertHashes': hashes,
        'unsafeSkipCAVerification': unsafe,
        'controlPlane': None if control_plane is None else {
            'advertiseAddress': str(_get(control_plane, 'localAPIEndpoint', 'advertiseAddress') or host_address),
            'bindPort': int(_get(control_plane, 'localAPIEndpoint', 'bindPort') or 6443),
        },
        'caCertPath': str(join.get('caCertPath') or '/etc/kubernetes/pki/ca.crt'),
        'discoverySeconds': duration_seconds(timeout) if timeout else 300.0,
    }
