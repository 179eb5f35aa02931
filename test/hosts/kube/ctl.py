"""The test process's side of the shared cluster (test/hosts/cluster.ts runs it on this machine
with TH_CLUSTER_DIR set to the fleet's directory): changes under the same lock the stand-ins
take. `python3 -B -m kube.ctl view` prints the state; `... OP JSON` changes it."""
from __future__ import annotations

import json
import sys
from typing import Any

from . import objects, state
from .keepalived import DEAD_AFTER


def view() -> dict[str, Any]:
    """The state as the API would show it: Nodes with their conditions and taints computed,
    live tokens marked, which host has each VIP on its interface (kube-vip's leader or
    keepalived's MASTER, once it added the address)."""
    st = state.read_all()
    t = state.now()
    live = {tok['id'] for tok in objects.live_tokens(st)}
    vips: dict[str, str] = {}
    for lease in st['leases'].values():
        if lease['renewed'] + lease['duration'] >= t and lease.get('holds'):
            vips[lease['vip']] = lease['holder']
    for peers in st['vrrp'].values():
        for name, p in peers.items():
            if p.get('holds') and p['seen'] > t - DEAD_AFTER:
                for v in p['vips']:
                    vips[v] = name
    return {
        'cluster': st['cluster'],
        'nodes': [{**n, 'ready': objects.ready(st, n)[0], 'conditions': [list(c) for c in objects.conditions(st, n)],
                   'effectiveTaints': objects.taints(st, n)} for n in sorted(st['nodes'].values(), key=lambda n: n['name'])],
        'members': st['members'],
        'tokens': [{**tok, 'live': tok['id'] in live} for tok in st['tokens']],
        'applied': st['applied'], 'cni': st['cni'] or None, 'vips': vips,
        'faults': st['faults'], 'latency': st['latency'],
    }


def run(op: str, arg: dict[str, Any]) -> None:
    with state.locked() as st:
        if op == 'expire-token':
            found = [t for t in st['tokens'] if t['id'] == arg['token'].split('.')[0]]
            if not found:
                raise KeyError(f'no bootstrap token {arg["token"].split(".")[0]} in the cluster')
            for t in found:
                t['expires'] = arg['at']
        elif op == 'fail-join':
            st['faults']['failJoin'][arg['host']] = arg['how']
        elif op == 'never-ready':
            st['faults']['neverReady'] = sorted(set(st['faults']['neverReady']) | {arg['node']})
        elif op == 'keep-etcd-member':
            st['faults']['keepEtcdMember'] = sorted(set(st['faults']['keepEtcdMember']) | {arg['node']})
        elif op == 'clear-faults':
            st['faults'] = json.loads(json.dumps(state.DEFAULTS['faults']))
        elif op == 'latency':
            st['latency'] = {**st['latency'], **arg}
        else:
            raise KeyError(f'unknown operation {op}')


if __name__ == '__main__':
    try:
        if sys.argv[1] == 'view':
            print(json.dumps(view()))
        else:
            run(sys.argv[1], json.loads(sys.argv[2]))
    except KeyError as e:
        print(e.args[0], file=sys.stderr)
        sys.exit(1)
