"""The cluster the stand-ins share (DESIGN §5): plain JSON files in one directory, which plays
the API server and etcd. A fleet started with sharedCluster bind-mounts one directory of its
run dir at /var/lib/k8sprep-testcluster in every host; otherwise each host has its own.

Hosts run in parallel, so every change happens under flock(2) of .lock, and every file is
replaced by rename: a reader without the lock (the test process) never sees half a file.
See test/hosts/README.md for the files and their fields."""
from __future__ import annotations

import contextlib
import copy
import datetime
import fcntl
import json
import os
import tempfile
import time
from typing import Any, Iterator

CLUSTER_DIR = os.environ.get('TH_CLUSTER_DIR', '/var/lib/k8sprep-testcluster')

# file name (without .json) -> its empty value
DEFAULTS: dict[str, Any] = {
    'cluster': {'initialized': False},
    'nodes': {},
    'members': [],
    'tokens': [],
    'applied': [],
    'cni': {},
    'leases': {},
    'vrrp': {},
    'faults': {'failJoin': {}, 'neverReady': [], 'keepEtcdMember': []},
    'latency': {'init': 0, 'join': 0, 'pull': 0},
}


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    """2026-12-04T15:04:05Z, as kubeadm token list prints EXPIRES."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def log_time(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def _path(name: str) -> str:
    return os.path.join(CLUSTER_DIR, name + '.json')


def read(name: str) -> Any:
    """One file as it is now (no lock: files are only ever replaced whole)."""
    try:
        with open(_path(name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return copy.deepcopy(DEFAULTS[name])


def read_all() -> dict[str, Any]:
    """Every file as it is now (for answers that change nothing)."""
    return {name: read(name) for name in DEFAULTS}


def _write(name: str, value: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=CLUSTER_DIR, prefix=f'.{name}.')
    with os.fdopen(fd, 'w') as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write('\n')
    os.chmod(tmp, 0o644)
    os.rename(tmp, _path(name))


class Snapshot(dict):
    """Every state file, loaded under the lock; the changed ones are written back on exit."""


@contextlib.contextmanager
def locked() -> Iterator[Snapshot]:
    """Holds the cluster lock; yields the state, saves what changed unless the body raised.

    The lock descriptor is close-on-exec, so a server a stand-in starts never keeps it."""
    os.makedirs(CLUSTER_DIR, exist_ok=True)
    fd = os.open(os.path.join(CLUSTER_DIR, '.lock'), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        before = {name: read(name) for name in DEFAULTS}
        state = Snapshot(copy.deepcopy(before))
        yield state
        for name in DEFAULTS:
            if state[name] != before[name]:
                _write(name, state[name])
    finally:
        os.close(fd)


def append_log(entry: dict[str, Any]) -> None:
    """One JSON line per kubeadm init/join/reset start or end (call with the lock held, so the
    order of lines is the order of events)."""
    entry = {'time': log_time(now()), **entry}
    with open(os.path.join(CLUSTER_DIR, 'log.jsonl'), 'a') as f:
        f.write(json.dumps(entry, sort_keys=True) + '\n')


def latency(op: str) -> float:
    """Seconds the stand-ins sleep for an operation (init, join, pull): a benchmark of the
    orchestration, not of this machine's CPU."""
    return float(read('latency').get(op, 0) or 0)
