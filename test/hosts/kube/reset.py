"""`kubeadm reset -f`: remove-etcd-member (unless a test keeps it), stop the kubelet and every
container, delete what kubeadm deletes. The Node object stays: kubeadm does not delete it. When
the last etcd member goes, the cluster's data goes with it and the shared state is empty again."""
from __future__ import annotations

import copy
import glob
import os
import shutil
import socket
import sys
from typing import Any

from . import host, state
from .errors import KubeadmError
from .kubeadm import logged

DIRS = ['/etc/kubernetes/manifests', '/var/lib/kubelet', '/etc/kubernetes/pki']
FILES = [f'/etc/kubernetes/{n}.conf' for n in ('admin', 'super-admin', 'kubelet', 'bootstrap-kubelet', 'controller-manager', 'scheduler')]
CLOSING = '''
The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d

The reset process does not reset or clean up iptables rules or IPVS tables.
If you wish to reset iptables, you must do so manually by using the "iptables" command.

If your cluster was setup to utilize IPVS, run ipvsadm --clear (or similar)
to reset your system's IPVS tables.

The reset process does not clean your kubeconfig files and you must remove them manually.
Please, check the contents of the $HOME/.kube/config file.'''


def run(flags: dict[str, list[str]]) -> None:
    if '-f' not in flags and '--force' not in flags:
        print('[reset] Are you sure you want to proceed? [y/N]: ', end='', flush=True)
        if sys.stdin.readline().strip().lower() not in ('y', 'yes'):
            raise KubeadmError('aborted reset operation')
    checks: dict[str, Any] = {}
    with logged('reset', checks):
        _reset(checks)


def _etcd_name() -> str | None:
    try:
        with open('/etc/kubernetes/manifests/etcd.yaml') as f:
            for line in f:
                if '--name=' in line:
                    return line.split('--name=', 1)[1].strip()
    except FileNotFoundError:
        pass
    return None


def _reset(checks: dict[str, Any]) -> None:
    print('[preflight] Running pre-flight checks')
    # Not a check kubeadm makes: what the Node looked like when its host was reset (drained
    # first: cordoned; deleted first: absent, and its running kubelet would register it again).
    node = state.read_all()['nodes'].get(socket.gethostname())
    checks['node'] = None if node is None else ('cordoned' if node.get('cordoned') else 'schedulable')
    member = _etcd_name()
    checks['etcdMember'] = member
    wipe_etcd = member is None
    if member is None:
        print('[reset] No etcd config found. Assuming external etcd')
        print('[reset] Please, manually reset etcd to prevent further issues')
    else:
        with state.locked() as st:
            if member in st['faults']['keepEtcdMember']:
                checks['etcdMemberRemoved'] = False
                print('[reset] Failed to remove etcd member: etcdserver: request timed out, please manually remove this etcd member using etcdctl')
            else:
                checks['etcdMemberRemoved'] = any(m['name'] == member for m in st['members'])
                st['members'] = [m for m in st['members'] if m['name'] != member]
                wipe_etcd = True
                if not st['members']:
                    # The last member held the cluster's data: nothing of the cluster is left.
                    for name in ('cluster', 'nodes', 'tokens', 'applied', 'cni', 'leases', 'vrrp'):
                        st[name] = copy.deepcopy(state.DEFAULTS[name])
                    checks['clusterGone'] = True
    print('[reset] Stopping the kubelet service')
    host.set_unit_active('kubelet.service', False)
    with state.locked() as st:
        for node in st['nodes'].values():
            if node['host'] == socket.gethostname():
                node['kubelet'] = False
    host.stop_all_containers()
    print('[reset] Unmounting mounted directories in "/var/lib/kubelet"')
    dirs = DIRS + (['/var/lib/etcd'] if wipe_etcd else [])
    if wipe_etcd and member is not None:
        print('[reset] Deleted contents of the etcd data directory: /var/lib/etcd')
    print(f'[reset] Deleting contents of directories: [{" ".join(dirs)}]')
    for d in dirs:
        for path in glob.glob(os.path.join(d, '*')) + glob.glob(os.path.join(d, '.*')):
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    print(f'[reset] Deleting files: [{" ".join(FILES)}]')
    for f in FILES:
        if os.path.lexists(f):
            os.remove(f)
    try:
        os.remove(os.path.join(host.TH_STATE, 'kubeadm'))
    except FileNotFoundError:
        pass
    print(CLOSING)
