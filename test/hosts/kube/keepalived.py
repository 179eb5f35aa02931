"""The keepalived container of a test host, started by kube.sh when the kubelet runs
keepalived.yaml and the real Debian `keepalived -t -f` accepted the config. The VRRP election
is played through the shared cluster instead of multicast: every running keepalived of a
virtual_router_id (and auth_pass: VRRP drops another password's adverts) registers its
priority twice a second, its vrrp_scripts run at their interval with fall/rise and weight as
keepalived counts them, and the highest effective priority (then the highest address) is
MASTER and holds the virtual_ipaddress. A registration older than 5 s is gone (VRRP: three missed
adverts; here more slack, for a loaded machine)."""
from __future__ import annotations

import hashlib
import re
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from . import host, state, vip

ME = socket.gethostname()
DEAD_AFTER = 5.0


def _blocks(text: str) -> list[tuple[str, str, list[Any]]]:
    """(keyword, name, body) of the top-level blocks; a body is a list of tokens and sub-lists."""
    tokens = re.findall(r'"[^"]*"|[{}]|[^\s{}]+', re.sub(r'[!#].*', '', text))

    def parse(i: int) -> tuple[list[Any], int]:
        body: list[Any] = []
        while i < len(tokens) and tokens[i] != '}':
            if tokens[i] == '{':
                sub, i = parse(i + 1)
                body.append(sub)
            else:
                body.append(tokens[i].strip('"'))
            i += 1
        return body, i

    top, _ = parse(0)
    out = []
    for i, item in enumerate(top):
        if isinstance(item, list) and i >= 1:
            head = [x for x in top[max(0, i - 2):i] if isinstance(x, str)]
            out.append((head[0], head[1] if len(head) > 1 else '', item))
    return out


def _settings(body: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, item in enumerate(body):
        if isinstance(item, str) and i + 1 < len(body):
            out[item] = body[i + 1]
    return out


def parse_conf(text: str) -> dict[str, Any]:
    blocks = _blocks(text)
    scripts = {name: _settings(body) for kw, name, body in blocks if kw == 'vrrp_script'}
    inst = next((_settings(body) | {'_body': body} for kw, _, body in blocks if kw == 'vrrp_instance'), None)
    if inst is None:
        raise ValueError('no vrrp_instance')
    body = inst['_body']
    vips = next((b for i, b in enumerate(body) if isinstance(b, list) and body[i - 1] == 'virtual_ipaddress'), [])
    tracked = next((b for i, b in enumerate(body) if isinstance(b, list) and body[i - 1] == 'track_script'), [])
    auth = next((_settings(b).get('auth_pass', '') for i, b in enumerate(body) if isinstance(b, list) and body[i - 1] == 'authentication'), '')
    # Peers compare passwords; the shared state keeps a digest, never the secret.
    auth = hashlib.sha256(auth.encode()).hexdigest()[:16]
    return {
        'iface': inst.get('interface'), 'vrid': str(inst.get('virtual_router_id')), 'priority': int(inst.get('priority', 100)), 'auth': auth,
        'vips': [v.split('/')[0] for v in vips if re.match(r'^\d+\.\d+\.\d+\.\d+(/\d+)?$', v)],
        'scripts': [{'name': n, 'script': scripts[n].get('script', ''), 'interval': float(scripts[n].get('interval', 1)),
                     'weight': int(scripts[n].get('weight', 0)), 'fall': int(scripts[n].get('fall', 1)), 'rise': int(scripts[n].get('rise', 1)),
                     'ok': True, 'streak': 0, 'due': 0.0} for n in tracked if isinstance(n, str) and n in scripts],
    }


def _run_scripts(conf: dict[str, Any]) -> None:
    t = time.monotonic()
    for s in conf['scripts']:
        if t < s['due']:
            continue
        s['due'] = t + s['interval']
        try:
            ok = subprocess.run(['/bin/sh', '-c', s['script']], capture_output=True, timeout=s['interval']).returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        s['streak'] = s['streak'] + 1 if ok != s['ok'] else 0
        if s['streak'] >= (s['rise'] if ok else s['fall']):
            s['ok'], s['streak'] = ok, 0
            print(f'VRRP_Script({s["name"]}) {"succeeded" if ok else "failed"}', flush=True)


def effective(conf: dict[str, Any]) -> int | None:
    """The priority after the scripts' weights; None when a weight-0 script failed (FAULT)."""
    p = conf['priority']
    for s in conf['scripts']:
        if s['weight'] == 0 and not s['ok']:
            return None
        if (s['weight'] < 0 and not s['ok']) or (s['weight'] > 0 and s['ok']):
            p += s['weight']
    return p


def main(path: str) -> int:
    """path: the keepalived.conf, already accepted by `keepalived -t` (kube.sh)."""
    with open(path) as f:
        conf = parse_conf(f.read())
    if not vip.interface_exists(conf['iface'] or ''):
        print(f'Cannot find an IP address to use for interface {conf["iface"]}', flush=True)
        return 1
    address = host.env().get('TH_ADDR', '')
    running = True

    def stop(*_: Any) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    last = ''
    while running:
        _run_scripts(conf)
        prio = effective(conf)
        with state.locked() as st:
            peers = st['vrrp'].setdefault(conf['vrid'], {})
            holds = peers.get(ME, {}).get('holds', False)
            peers[ME] = {'priority': prio, 'seen': state.now(), 'address': address, 'auth': conf['auth'], 'vips': conf['vips'], 'holds': holds}
            live = [(p['priority'], tuple(int(x) for x in p['address'].split('.')), name) for name, p in peers.items()
                    if p['priority'] is not None and p['auth'] == conf['auth'] and p['seen'] > state.now() - DEAD_AFTER]
            master = max(live)[2] if live else None
        for v in conf['vips']:
            (vip.add if master == ME else vip.remove)(conf['iface'], v)
        with state.locked() as st:
            if ME in st['vrrp'].get(conf['vrid'], {}):
                st['vrrp'][conf['vrid']][ME]['holds'] = master == ME  # the address is on the interface now
        now_state = 'MASTER' if master == ME else ('FAULT' if prio is None else 'BACKUP')
        if now_state != last:
            print(f'(VI_1) Entering {now_state} STATE', flush=True)
            last = now_state
        time.sleep(0.5)
    with state.locked() as st:
        st['vrrp'].get(conf['vrid'], {}).pop(ME, None)
    for v in conf['vips']:
        vip.remove(conf['iface'], v)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
