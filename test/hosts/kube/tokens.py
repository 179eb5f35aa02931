"""`kubeadm token list|create|delete`, against the shared cluster through admin.conf (the real
ones talk to the API server with it)."""
from __future__ import annotations

import os
from typing import Any

from . import apiclient, config, objects, settings, state
from .errors import KubeadmError

HEADER = ('TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS')


def short_duration(seconds: float) -> str:
    """duration.ShortHumanDuration, as the TTL column prints it."""
    s = int(seconds)
    if s < 120:
        return f'{s}s'
    if s < 7200:
        return f'{s // 60}m'
    if s < 86400 * 2:
        return f'{s // 3600}h'
    return f'{s // 86400}d'


def _table(rows: list[tuple[str, ...]]) -> str:
    """text/tabwriter as kubeadm sets it up (minwidth 10, padding 3; the last cell unpadded)."""
    widths = [max(10, max(len(r[i]) for r in rows) + 3) for i in range(len(rows[0]))]
    return '\n'.join(''.join(cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)) for row in rows)


def run(command: str, flags: dict[str, list[str]], positional: list[str]) -> None:
    kubeconfig = flags.get('--kubeconfig', ['/etc/kubernetes/admin.conf'])[-1]
    if not os.path.exists(kubeconfig):
        raise KubeadmError(f'failed to load admin kubeconfig: open {kubeconfig}: no such file or directory')
    try:
        apiclient.connect(kubeconfig)
    except apiclient.ClientError as e:
        raise KubeadmError(str(e)) from e
    if command == 'token list':
        _list()
    elif command == 'token create':
        _create(flags, positional)
    else:
        _delete(positional)


def _list() -> None:
    with state.locked() as st:
        tokens = objects.live_tokens(st)
    if not tokens:
        return
    now = state.now()
    rows: list[tuple[str, ...]] = [HEADER]
    for t in tokens:
        ttl, expires = ('<forever>', '<never>') if t['expires'] is None else (short_duration(t['expires'] - now), state.rfc3339(t['expires']))
        rows.append((f'{t["id"]}.{t["secret"]}', ttl, expires, ','.join(sorted(t['usages'])), t['description'] or '<none>', ','.join(t['groups'])))
    print(_table(rows))


def _create(flags: dict[str, list[str]], positional: list[str]) -> None:
    if '--config' in flags:
        _create_from_config(flags, positional)
        return
    token = positional[0] if positional else None
    if token is not None and not settings.TOKEN_RE.match(token):
        raise KubeadmError(f'the bootstrap token "{token}" was not of the form "^([a-z0-9]{{6}})\\.([a-z0-9]{{16}})$"')
    try:
        ttl = config.duration_seconds(flags.get('--ttl', ['24h0m0s'])[-1])
    except config.ConfigError as e:
        raise KubeadmError(f'invalid argument "{flags["--ttl"][-1]}" for "--ttl" flag: {e}') from e
    usages = ','.join(flags.get('--usages', ['signing,authentication'])).split(',')
    groups = ','.join(flags.get('--groups', ['system:bootstrappers:kubeadm:default-node-token'])).split(',')
    with state.locked() as st:
        try:
            print(objects.add_token(st, token, ttl, flags.get('--description', [''])[-1], usages, groups))
        except ValueError as e:
            raise KubeadmError(str(e)) from e


def _create_from_config(flags: dict[str, list[str]], positional: list[str]) -> None:
    """kubeadm's RunCreateToken with --config: every InitConfiguration.bootstrapTokens entry is
    created (the positional token, if any, replaces the first one's); the token flags cannot be
    mixed with a config file."""
    mixed = sorted(f[2:] for f in flags if f in ('--ttl', '--description', '--usages', '--groups'))
    if mixed:
        raise KubeadmError(f"can not mix '--config' with arguments {mixed}")
    from .kubeadm import host_address, kubeadm_version
    try:
        docs, _ = config.load(flags['--config'][-1], kubeadm_version(), strict=False)
        tokens = settings.init_config(docs, host_address(), kubeadm_version())['bootstrapTokens']
    except config.ConfigError as e:
        raise KubeadmError(str(e)) from e
    if positional:
        if not settings.TOKEN_RE.match(positional[0]):
            raise KubeadmError(f'the bootstrap token "{positional[0]}" was not of the form "^([a-z0-9]{{6}})\\.([a-z0-9]{{16}})$"')
        tokens = [{**(tokens[0] if tokens else {'ttl': 86400.0, 'usages': ['signing', 'authentication'], 'groups': ['system:bootstrappers:kubeadm:default-node-token'], 'description': ''}), 'token': positional[0]}] + tokens[1:]
    with state.locked() as st:
        for t in tokens:
            try:
                print(objects.add_token(st, t['token'], t['ttl'], t['description'], t['usages'], t['groups']))
            except ValueError as e:
                raise KubeadmError(str(e)) from e


def _delete(positional: list[str]) -> None:
    if not positional:
        raise KubeadmError('missing subcommand; \'token delete\' is missing token of form "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"')
    for arg in positional:
        token_id = arg.split('.')[0]
        with state.locked() as st:
            found: list[dict[str, Any]] = [t for t in objects.live_tokens(st) if t['id'] == token_id]
            if not found:
                raise KubeadmError(f'failed to delete bootstrap token with id "{token_id}": secrets "bootstrap-token-{token_id}" not found')
            st['tokens'] = [t for t in st['tokens'] if t['id'] != token_id]
        print(f'bootstrap token "{token_id}" deleted')
