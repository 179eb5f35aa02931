"""A virtual IP inside a test host: `ip addr add VIP/32 dev IFACE` in the host's own network
namespace (route_localnet on eth0 and the fleet's local-table route make a 127.x VIP inside the
fleet's subnet reachable from every host and the test process, like the hosts' own addresses),
plus a gratuitous ARP so the other hosts' neighbour caches follow a VIP that moved."""
from __future__ import annotations

import ipaddress
import socket
import struct
import subprocess


def has(iface: str, vip: str) -> bool:
    out = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'dev', iface], capture_output=True, text=True).stdout
    return any(line.split()[3].split('/')[0] == vip for line in out.splitlines() if len(line.split()) > 3)


def add(iface: str, vip: str) -> None:
    if not has(iface, vip):
        subprocess.run(['ip', 'addr', 'add', f'{vip}/32', 'dev', iface], capture_output=True)
        gratuitous_arp(iface, vip)


def remove(iface: str, vip: str) -> None:
    if has(iface, vip):
        subprocess.run(['ip', 'addr', 'del', f'{vip}/32', 'dev', iface], capture_output=True)


def gratuitous_arp(iface: str, vip: str) -> None:
    """An ARP request for the VIP from its new holder, to the broadcast address."""
    try:
        with open(f'/sys/class/net/{iface}/address') as f:
            mac = bytes.fromhex(f.read().strip().replace(':', ''))
        ip = ipaddress.ip_address(vip).packed
        frame = b'\xff' * 6 + mac + b'\x08\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + ip + b'\x00' * 6 + ip
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((iface, 0))
            s.send(frame)
    except OSError:
        pass  # the neighbours' caches then expire on their own


def interface_exists(iface: str) -> bool:
    return subprocess.run(['ip', 'link', 'show', 'dev', iface], capture_output=True).returncode == 0
