"""`crictl exec <etcd container> etcdctl ... member list|remove`: the etcd members of the shared
cluster, reachable only through a running etcd container of this host and with a client
certificate the etcd CA signed (kubeadm's etcd has client-cert auth and nothing else)."""
from __future__ import annotations

import hashlib
import os
import sys

from . import host, pki, state

# etcdctl prints the cluster's ID after a removal; the test cluster has one, fixed.
CLUSTER_ID = hashlib.sha256(b'k8sprep-test-cluster').hexdigest()[:16]


def _container(cid: str) -> str | None:
    """The name of running container cid, None when there is none."""
    try:
        with open(os.path.join(host.TH_STATE, 'containers')) as f:
            for line in f:
                fields = line.rstrip('\n').split('\t')
                if fields[0] == cid and fields[2] == 'Running':
                    return fields[1]
    except FileNotFoundError:
        pass
    return None


def main(argv: list[str]) -> int:
    args = [a for a in argv if a not in ('-i', '-t', '-it', '-ti', '--interactive', '--tty')]
    if len(args) < 2:
        return _fail('crictl exec: ID and command are required')
    cid, command = args[0], args[1:]
    if _container(cid) is None:
        return _fail(f'FATA[0000] execing command in container: rpc error: code = NotFound desc = an error occurred when try to find container "{cid}": not found')
    if _container(cid) != 'etcd' or command[0] != 'etcdctl':
        return _fail(f'k8sprep test host: crictl exec {" ".join(argv)} is not modelled by the stand-in')
    flags: dict[str, str] = {}
    words: list[str] = []
    i = 1
    while i < len(command):
        arg = command[i]
        if arg.startswith('--'):
            name, eq, value = arg.partition('=')
            if not eq:
                i += 1
                value = command[i] if i < len(command) else ''
            flags[name] = value
        elif arg == '-w':
            i += 1
            flags['--write-out'] = command[i] if i < len(command) else ''
        else:
            words.append(arg)
        i += 1
    if flags.get('--endpoints') != 'https://127.0.0.1:2379':
        return _fail(f'{{"level":"warn","msg":"retrying of unary invoker failed","target":"etcd-endpoints://{flags.get("--endpoints", "")}"}}\n'
                     'Error: context deadline exceeded')
    if flags.get('--write-out', 'simple') != 'simple':
        return _fail(f'k8sprep test host: etcdctl -w {flags["--write-out"]} is not modelled by the stand-in')
    for name in ('--cacert', '--cert', '--key'):
        if not os.path.exists(flags.get(name, '')):
            return _fail(f'Error: open {flags.get(name, "")}: no such file or directory')
    if pki.chain_error(flags['--cacert'], flags['--cert']):
        return _fail('Error: context deadline exceeded')  # etcd drops a client its CA did not sign
    if words == ['member', 'list']:
        for m in state.read('members'):
            started = 'started' if m['started'] else 'unstarted'
            print(f'{m["id"]}, {started}, {m["name"] if m["started"] else ""}, {m["peerURL"]}, {m["clientURL"] if m["started"] else ""}, false')
        return 0
    if len(words) == 3 and words[:2] == ['member', 'remove']:
        with state.locked() as st:
            if not any(m['id'] == words[2] for m in st['members']):
                return _fail('Error: etcdserver: member not found')
            st['members'] = [m for m in st['members'] if m['id'] != words[2]]
        print(f'Member {words[2]} removed from cluster {CLUSTER_ID}')
        return 0
    return _fail(f'k8sprep test host: etcdctl {" ".join(words)} is not modelled by the stand-in')


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
