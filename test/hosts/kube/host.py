"""This host's own stand-in state (/var/lib/k8sprep-testhost, kept by the bash stand-ins: see
lib.sh), as the Python stand-ins need it: units, modules, sysctl, swaps, images, packages,
listening ports, and the static pods (run through lib.sh, the one implementation)."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys

TH_LIB = '/usr/lib/k8sprep-testhost'
TH_STATE = '/var/lib/k8sprep-testhost'


def env() -> dict[str, str]:
    """host.env: TH_OS, TH_KERNEL, TH_ADDR, ... (written by host-init.sh)."""
    out: dict[str, str] = {}
    with open(os.path.join(TH_STATE, 'host.env')) as f:
        for line in f:
            key, _, value = line.strip().partition('=')
            if key:
                out[key] = ''.join(shlex.split(value))  # written with printf %q
    return out


def die(message: str, code: int = 1) -> None:
    sys.stderr.write(message.rstrip('\n') + '\n')
    sys.exit(code)


def _lines(name: str) -> list[str]:
    try:
        with open(os.path.join(TH_STATE, name)) as f:
            return [line.rstrip('\n') for line in f if line.strip()]
    except FileNotFoundError:
        return []


def unit(name: str) -> tuple[str, str]:
    """(enabled|disabled|masked|static, active|inactive|failed) of a unit."""
    fields = (_lines(f'units/{name}') or ['disabled inactive'])[0].split()
    return fields[0], fields[1]


def set_unit_active(name: str, active: bool) -> None:
    enabled, _ = unit(name)
    os.makedirs(os.path.join(TH_STATE, 'units'), exist_ok=True)
    with open(os.path.join(TH_STATE, 'units', name), 'w') as f:
        f.write(f'{enabled} {"active" if active else "inactive"}\n')


def module_loaded(name: str) -> bool:
    return name in _lines('modules')


def sysctl(key: str) -> str | None:
    for line in _lines('sysctl'):
        k, sep, v = line.partition(' = ')
        if sep and k == key:
            return v
    return None


def swap_on() -> bool:
    return bool(_lines('swaps'))


def images() -> set[str]:
    return set(_lines('images'))


def add_image(ref: str) -> None:
    if ref not in images():
        with open(os.path.join(TH_STATE, 'images'), 'a') as f:
            f.write(ref + '\n')


def package_version(name: str) -> str | None:
    for line in _lines('packages.db'):
        fields = line.split('\t')
        if fields[0] == name:
            return fields[1]
    return None


def listening_ports() -> set[int]:
    """TCP ports something listens on in this host's network namespace."""
    ports: set[int] = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == '0A':
                        ports.add(int(fields[1].rsplit(':', 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def lib_sh(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs bash code with lib.sh sourced (static pods, the images table: one implementation)."""
    return subprocess.run(['bash', '-c', f'. {TH_LIB}/lib.sh; . {TH_LIB}/standins/kube.sh; {script}', 'lib', *args], capture_output=True, text=True)


def sync_static_pods() -> None:
    """What the kubelet does with /etc/kubernetes/manifests (lib.sh th_static_pods_sync)."""
    r = lib_sh('th_lock && th_static_pods_sync')
    if r.returncode != 0:
        die(f'k8sprep test host: static pod sync failed: {r.stderr}')


def stop_all_containers() -> None:
    """kubeadm reset removes every container of the node (lib.sh th_containers_stop_all)."""
    lib_sh('th_lock && th_containers_stop_all')


def kube_images(version: str, repository: str) -> list[str] | None:
    """`kubeadm config images list` for a version (lib.sh th_kube_images), None when unknown."""
    r = lib_sh('th_kube_images "$1" "$2"', version, repository)
    return r.stdout.split() if r.returncode == 0 else None
