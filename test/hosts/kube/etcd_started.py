"""Run by lib.sh when the etcd static pod starts: the member named by the manifest's --name has
started (etcd lists a member as unstarted until its etcd first runs), and its data directory
is no longer empty, as after a real etcd's first start."""
from __future__ import annotations

import os
import sys

from . import state


def main(manifest: str) -> int:
    name = None
    with open(manifest) as f:
        for line in f:
            if '--name=' in line:
                name = line.split('--name=', 1)[1].strip()
    if name is None:
        return 0
    os.makedirs('/var/lib/etcd/member/snap', exist_ok=True)
    with state.locked() as st:
        for m in st['members']:
            if m['name'] == name:
                m['started'] = True
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
