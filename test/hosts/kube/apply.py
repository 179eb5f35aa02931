"""`kubectl apply -f FILE`: every object is recorded in the shared cluster (created, configured
or unchanged, as kubectl reports), a copy of the file is kept, and a CNI manifest installs the
CNI with the pod CIDR it carries: calico's CALICO_IPV4POOL_CIDR (it ships commented out, so an
unedited manifest has none), flannel's net-conf.json Network."""
from __future__ import annotations

import hashlib
import json
import os
import socket
from typing import Any

import yaml

from . import state

CLUSTER_SCOPED = {'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass',
                  'APIService', 'PersistentVolume', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'IngressClass'}
BUILTIN_NAMESPACES = {'default', 'kube-system', 'kube-public', 'kube-node-lease'}


class ApplyError(Exception):
    pass


def _docs(path: str) -> list[dict[str, Any]]:
    if not os.path.exists(path):
        raise ApplyError(f'error: the path "{path}" does not exist')
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        raise ApplyError(f'error: error parsing {path}: error converting YAML to JSON: yaml: {e}') from e
    for d in docs:
        missing = [f'{k} not set' for k in ('apiVersion', 'kind') if not isinstance(d, dict) or not d.get(k)]
        if not missing and not (d.get('metadata') or {}).get('name'):
            missing.append('metadata.name not set')
        if missing:
            raise ApplyError(f'error: error validating "{path}": error validating data: [{", ".join(missing)}]')
    return docs


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = (((doc.get('spec') or {}).get('template') or {}).get('spec') or {})
    return (spec.get('containers') or []) + (spec.get('initContainers') or [])


def cni_of(docs: list[dict[str, Any]]) -> dict[str, Any] | None:
    for d in docs:
        if d['kind'] != 'DaemonSet':
            continue
        name, ns = d['metadata']['name'], d['metadata'].get('namespace', 'default')
        if name == 'calico-node':
            envs = [e for c in _containers(d) for e in c.get('env') or [] if e.get('name') == 'CALICO_IPV4POOL_CIDR']
            return {'name': 'calico', 'podCidr': str(envs[0].get('value')) if envs else None, 'daemonSet': f'{ns}/calico-node'}
        if name == 'kube-flannel-ds':
            network = None
            for c in docs:
                if c['kind'] == 'ConfigMap' and 'net-conf.json' in (c.get('data') or {}):
                    try:
                        network = json.loads(c['data']['net-conf.json']).get('Network')
                    except json.JSONDecodeError:
                        network = None
            return {'name': 'flannel', 'podCidr': network, 'daemonSet': f'{ns}/kube-flannel-ds'}
    return None


def apply(path: str) -> None:
    docs = _docs(path)
    with open(path, 'rb') as f:
        content = f.read()
    with state.locked() as st:
        namespaces = BUILTIN_NAMESPACES | {a['name'] for a in st['applied'] if a['kind'] == 'Namespace'}
        copy = os.path.join(state.CLUSTER_DIR, 'manifests', f'{len(st["applied"]):04d}-{os.path.basename(path)}')
        lines = []
        for d in docs:
            group = d['apiVersion'].rpartition('/')[0]
            kind, name = d['kind'], d['metadata']['name']
            ns = None if kind in CLUSTER_SCOPED else d['metadata'].get('namespace', 'default')
            if ns is not None and ns not in namespaces:
                raise ApplyError(f'Error from server (NotFound): error when creating "{path}": namespaces "{ns}" not found')
            if kind == 'Namespace':
                namespaces.add(name)
            digest = hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
            key = (group, kind, ns, name)
            old = next((a for a in st['applied'] if (a['group'], a['kind'], a['namespace'], a['name']) == key), None)
            verb = 'created' if old is None else ('unchanged' if old['sha256'] == digest else 'configured')
            st['applied'] = [a for a in st['applied'] if a is not old] + [
                {'group': group, 'kind': kind, 'namespace': ns, 'name': name, 'sha256': digest, 'file': path, 'copy': copy,
                 'host': socket.gethostname(), 'at': state.log_time(state.now())}]
            lines.append(f'{kind.lower()}{"." + group if group else ""}/{name} {verb}')
        cni = cni_of(docs)
        if cni:
            st['cni'] = {**cni, 'file': path, 'host': socket.gethostname(), 'at': state.log_time(state.now())}
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        with open(copy, 'wb') as f:
            f.write(content)
    print('\n'.join(lines))
