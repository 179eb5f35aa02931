"""The cluster's objects in the shared state: Nodes (with the conditions and taints the API
would report), etcd members, bootstrap tokens. Functions take the locked state snapshot."""
from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

from . import state

CONTROL_PLANE_TAINT = {'key': 'node-role.kubernetes.io/control-plane', 'effect': 'NoSchedule'}
NOT_READY = ('container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady '
             'message:Network plugin returns error: cni plugin not initialized')


def member_id(name: str, peer_url: str) -> str:
    return hashlib.sha256(f'{name} {peer_url}'.encode()).hexdigest()[:16]


def register_node(st: dict[str, Any], name: str, host: str, address: str, control_plane: bool, taints: list | None, kubelet_version: str) -> None:
    """A kubelet registering its Node (again after a reset: the object is updated)."""
    if taints is None:
        taints = [dict(CONTROL_PLANE_TAINT)] if control_plane else []
    old = st['nodes'].get(name)
    st['nodes'][name] = {
        'name': name, 'host': host, 'address': address,
        'roles': ['control-plane'] if control_plane else [],
        'taints': taints, 'cordoned': False, 'kubelet': True,
        'kubeletVersion': f'v{kubelet_version}',
        'created': old['created'] if old else state.now(),
    }


def ready(st: dict[str, Any], node: dict[str, Any]) -> tuple[str, str, str]:
    """(status, reason, message) of the node's Ready condition."""
    if not node['kubelet']:
        return 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'
    cni = st['cni']
    # flannel with --kube-subnet-mgr needs a podCIDR per node: kubeadm's networking.podSubnet.
    network_up = bool(cni) and (cni.get('name') != 'flannel' or bool(st['cluster'].get('podSubnet')))
    if network_up and node['name'] not in st['faults']['neverReady']:
        return 'True', 'KubeletReady', 'kubelet is posting ready status'
    return 'False', 'KubeletNotReady', NOT_READY


def conditions(st: dict[str, Any], node: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    status, reason, message = ready(st, node)
    if status == 'Unknown':
        return [(t, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.') for t in ('MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready')]
    return [
        ('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        ('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        ('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ('Ready', status, reason, message),
    ]


def taints(st: dict[str, Any], node: dict[str, Any]) -> list[dict[str, str]]:
    """The registration's taints, then those the controllers add (not-ready, unschedulable)."""
    out = list(node['taints'])
    status, _, _ = ready(st, node)
    if status == 'False':
        out.append({'key': 'node.kubernetes.io/not-ready', 'effect': 'NoSchedule'})
    elif status == 'Unknown':
        out.append({'key': 'node.kubernetes.io/unreachable', 'effect': 'NoSchedule'})
    if node['cordoned']:
        out.append({'key': 'node.kubernetes.io/unschedulable', 'effect': 'NoSchedule'})
    return out


def live_tokens(st: dict[str, Any]) -> list[dict[str, Any]]:
    """Tokens the API still has: the token cleaner deletes expired ones."""
    t = state.now()
    return [tok for tok in st['tokens'] if tok['expires'] is None or tok['expires'] > t]


def add_token(st: dict[str, Any], token: str | None, ttl: float, description: str, usages: list[str], groups: list[str]) -> str:
    if token is None:
        alphabet = string.ascii_lowercase + string.digits
        token = ''.join(secrets.choice(alphabet) for _ in range(6)) + '.' + ''.join(secrets.choice(alphabet) for _ in range(16))
    token_id, secret = token.split('.')
    if any(t['id'] == token_id for t in live_tokens(st)):
        raise ValueError(f'a token with id "{token_id}" already exists')
    st['tokens'] = [t for t in st['tokens'] if t['id'] != token_id] + [{
        'id': token_id, 'secret': secret, 'expires': None if ttl == 0 else state.now() + ttl,
        'usages': usages, 'groups': groups, 'description': description,
    }]
    return token
