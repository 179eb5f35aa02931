"""The kube-vip container of a test host (started by lib.sh when kubelet runs kube-vip.yaml): it
reads the manifest's env (`address`, `vip_interface`, `port`, `vip_leaseduration`) and the
kubeconfig its hostPath mounts, and competes for the control-plane lease in the shared cluster.
It can lead only when kube-vip could: the kubeconfig exists; on Kubernetes 1.29+ it is not
admin.conf while the cluster is not initialised (kube-vip #684: admin.conf has no rights until
kubeadm init ends); its CA is the cluster's; the local apiserver answers (kube-vip reaches the
API at kubernetes:<port>, a hostAlias for 127.0.0.1). The leader holds VIP/32 on vip_interface
and renews its lease every half second; a lease not renewed within its duration is free."""
from __future__ import annotations

import os
import signal
import socket
import ssl
import sys
import time
from typing import Any

import yaml

from . import host, pki, state, vip

ME = socket.gethostname()


def _spec(manifest: str) -> dict[str, Any]:
    with open(manifest) as f:
        pod = yaml.safe_load(f)
    container = pod['spec']['containers'][0]
    env = {e['name']: str(e.get('value', '')) for e in container.get('env') or []}
    volumes = {v['name']: (v.get('hostPath') or {}).get('path') for v in pod['spec'].get('volumes') or []}
    mount = next((m for m in container.get('volumeMounts') or [] if m['mountPath'] == '/etc/kubernetes/admin.conf'), None)
    return {
        'vip': env.get('address') or env.get('vip_address'), 'iface': env.get('vip_interface'), 'port': int(env.get('port') or 6443),
        'duration': float(env.get('vip_leaseduration') or 5), 'controlPlane': env.get('cp_enable') == 'true',
        'kubeconfig': volumes.get(mount['name']) if mount else None,
    }


def _local_apiserver(port: int) -> bool:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1) as raw, ctx.wrap_socket(raw) as tls:
            tls.sendall(b'GET /livez HTTP/1.0\r\n\r\n')
            return tls.recv(64).startswith(b'HTTP/1.0 200')
    except OSError:
        return False


def why_not(spec: dict[str, Any]) -> str | None:
    """Why kube-vip cannot take the lease now (None: it can)."""
    path = spec['kubeconfig']
    if not path or not os.path.exists(path):
        return f'unable to load kubeconfig: stat {path}: no such file or directory'
    cluster = state.read('cluster')
    version = cluster.get('kubernetesVersion') if cluster.get('initialized') else host.package_version('kubeadm')
    if not cluster.get('initialized') and path == '/etc/kubernetes/admin.conf' and int((version or '1.0').split('.')[1]) >= 29:
        return ('leases.coordination.k8s.io "plndr-cp-lock" is forbidden: User "kubernetes-admin" cannot get resource "leases" '
                'in API group "coordination.k8s.io" in the namespace "kube-system"')
    try:
        ca = pki.der_of(pki.kubeconfig_ca(path))
    except pki.PkiError as e:
        return str(e)
    if cluster.get('initialized') and ca != pki.der_of(cluster['caCert']):
        return 'tls: failed to verify certificate: x509: certificate signed by unknown authority'
    if not _local_apiserver(spec['port']):
        return f'dial tcp 127.0.0.1:{spec["port"]}: connect: connection refused'
    return None


def main(manifest: str) -> int:
    spec = _spec(manifest)
    if not spec['controlPlane'] or not spec['vip'] or not spec['iface']:
        print('kube-vip: no control-plane VIP configured (cp_enable, address, vip_interface)', flush=True)
        return 1
    if not vip.interface_exists(spec['iface']):
        print(f'kube-vip: unable to find interface [{spec["iface"]}]', flush=True)
        return 1
    key = f'vip:{spec["vip"]}'
    running = True

    def stop(*_: Any) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    last = ''
    while running:
        reason = why_not(spec)
        with state.locked() as st:
            lease = st['leases'].get(key)
            t = state.now()
            mine = bool(lease) and lease['holder'] == ME
            free = not lease or lease['renewed'] + lease['duration'] < t
            lead = reason is None and (mine or free)
            if lead:
                held = bool(mine and lease.get('holds'))
                st['leases'][key] = {'holder': ME, 'renewed': t, 'duration': spec['duration'], 'kind': 'kube-vip', 'vip': spec['vip'], 'holds': held}
            elif mine:
                del st['leases'][key]
        (vip.add if lead else vip.remove)(spec['iface'], spec['vip'])
        if lead:
            with state.locked() as st:
                if st['leases'].get(key, {}).get('holder') == ME:
                    st['leases'][key]['holds'] = True  # the address is on the interface now
        now_state = 'leader' if lead else f'follower: {reason or "lease held by " + lease["holder"]}'
        if now_state != last:
            print(f'kube-vip {ME}: {now_state}', flush=True)
            last = now_state
        time.sleep(0.5)
    with state.locked() as st:
        if st['leases'].get(key, {}).get('holder') == ME:
            del st['leases'][key]
    vip.remove(spec['iface'], spec['vip'])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
