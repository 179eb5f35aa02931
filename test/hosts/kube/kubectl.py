"""kubectl stand-in, the cluster part: the invocations of the bootstrap contract, answered from the
shared cluster after kubectl's own connection checks (apiclient). Anything else fails loudly."""
from __future__ import annotations

import os
import sys

from . import apiclient, config, objects, state
from .apply import ApplyError, apply

COND_TEMPLATE = '{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}'
TAINT_TEMPLATE = '{.spec.taints[*].key}'
UNSCHEDULABLE_TEMPLATE = '{.spec.unschedulable}'
VALUE_FLAGS = {'--kubeconfig', '--request-timeout', '-n', '--namespace', '-o', '--output', '-f', '--filename', '--timeout'}
SWITCHES = {'--no-headers', '--ignore-daemonsets', '--delete-emptydir-data', '--force'}


class Fail(Exception):
    pass


class NotModelled(Exception):
    """An invocation outside the bootstrap contract: it must fail loudly, never pass."""


def parse(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    flags: dict[str, str] = {}
    words: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition('=')
        if name in VALUE_FLAGS:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ''
            flags[{'--namespace': '-n', '--output': '-o', '--filename': '-f'}.get(name, name)] = value
        elif arg in SWITCHES:
            flags[arg] = ''
        elif arg.startswith('-'):
            raise NotModelled()
        else:
            words.append(arg)
        i += 1
    return flags, words


def human_age(seconds: float) -> str:
    """apimachinery's duration.HumanDuration, as kubectl prints AGE."""
    s = int(seconds)
    m, h, d = s // 60, s // 3600, s // 86400
    if s < 120:
        return f'{s}s'
    if m < 10:
        return f'{m}m{s % 60}s' if s % 60 else f'{m}m'
    if m < 180:
        return f'{m}m'
    if h < 8:
        return f'{h}h{m % 60}m' if m % 60 else f'{h}h'
    if h < 48:
        return f'{h}h'
    if h < 192:
        return f'{d}d{h % 24}h' if h % 24 else f'{d}d'
    return f'{d}d'


def not_found(kind: str, name: str) -> Fail:
    return Fail(f'Error from server (NotFound): {kind} "{name}" not found')


def get(flags: dict[str, str], words: list[str]) -> None:
    out = flags.get('-o', '')
    st = state.read_all()
    if words[1:3] in (['configmap', 'cluster-info'], ['configmaps', 'cluster-info']) and flags.get('-n') == 'kube-public' and out == 'name':
        if not st['cluster'].get('initialized'):
            raise not_found('configmaps', 'cluster-info')
        print('configmap/cluster-info')
    elif words[1:2] in (['node'], ['nodes']) and len(words) == 3:
        node = st['nodes'].get(words[2])
        if node is None:
            raise not_found('nodes', words[2])
        if out == 'name':
            print(f'node/{words[2]}')
        elif out == f'jsonpath={COND_TEMPLATE}':
            sys.stdout.write(''.join(f'{t}={s} {r}: {m}\n' for t, s, r, m in objects.conditions(st, node)))
        elif out == f'jsonpath={TAINT_TEMPLATE}':
            sys.stdout.write(' '.join(t['key'] for t in objects.taints(st, node)))
        elif out == f'jsonpath={UNSCHEDULABLE_TEMPLATE}':
            # The field is absent (prints nothing) unless the node is cordoned.
            sys.stdout.write('true' if node['cordoned'] else '')
        else:
            raise NotModelled()
    elif words[1:2] in (['daemonset'], ['daemonsets'], ['ds']) and len(words) == 3 and out == 'name':
        namespace = flags.get('-n', 'default')
        if not any(a['kind'] == 'DaemonSet' and a['namespace'] == namespace and a['name'] == words[2] for a in st['applied']):
            raise not_found('daemonsets.apps', words[2])
        print(f'daemonset.apps/{words[2]}')
    elif words[1:] in (['nodes'], ['node'], ['no']) and not out:
        rows = [] if '--no-headers' in flags else [('NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION')]
        for name in sorted(st['nodes']):
            node = st['nodes'][name]
            status = {'True': 'Ready'}.get(objects.ready(st, node)[0], 'NotReady') + (',SchedulingDisabled' if node['cordoned'] else '')
            rows.append((name, status, ','.join(node['roles']) or '<none>', human_age(state.now() - node['created']), node['kubeletVersion']))
        if not rows:
            print('No resources found', file=sys.stderr)
            return
        widths = [max(len(r[i]) for r in rows) + 3 for i in range(5)]
        for r in rows:
            print(''.join(c.ljust(widths[i]) if i < 4 else c for i, c in enumerate(r)))
    else:
        raise NotModelled()


def drain(flags: dict[str, str], name: str) -> None:
    if '--timeout' in flags:
        try:
            config.duration_seconds(flags['--timeout'])
        except config.ConfigError as e:
            raise Fail(f'error: invalid argument "{flags["--timeout"]}" for "--timeout" flag: {e}') from e
    with state.locked() as st:
        node = st['nodes'].get(name)
        if node is None:
            raise not_found('nodes', name)
        print(f'node/{name} {"already cordoned" if node["cordoned"] else "cordoned"}')
        node['cordoned'] = True
        cni = st['cni']
    if cni and '--ignore-daemonsets' not in flags:
        raise Fail(f'error: unable to drain node "{name}" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)')
    if cni:
        print(f'Warning: ignoring DaemonSet-managed Pods: {cni["daemonSet"]}-{name}', file=sys.stderr)
    print(f'node/{name} drained')


def delete_node(name: str) -> None:
    with state.locked() as st:
        node = st['nodes'].pop(name, None)
        if node is None:
            raise not_found('nodes', name)
        if node['kubelet']:
            # A kubelet that still runs registers its Node again (why reset comes first).
            objects.register_node(st, name, node['host'], node['address'], bool(node['roles']), node['taints'], node['kubeletVersion'].lstrip('v'))
    print(f'node "{name}" deleted')


def main(argv: list[str]) -> int:
    try:
        flags, words = parse(argv)
        kubeconfig = flags.get('--kubeconfig') or os.environ.get('KUBECONFIG') or os.path.expanduser('~/.kube/config')
        timeout = config.duration_seconds(flags['--request-timeout']) if '--request-timeout' in flags else 10.0
        verb = words[0] if words else ''
        if verb == 'get':
            run = lambda: get(flags, words)  # noqa: E731
        elif verb == 'apply' and len(words) == 1 and '-f' in flags:
            run = lambda: apply(flags['-f'])  # noqa: E731
        elif verb == 'drain' and len(words) == 2:
            run = lambda: drain(flags, words[1])  # noqa: E731
        elif words[:2] in (['delete', 'node'], ['delete', 'nodes']) and len(words) == 3:
            run = lambda: delete_node(words[2])  # noqa: E731
        else:
            raise NotModelled()
        try:
            apiclient.connect(kubeconfig, timeout or 10.0)
        except apiclient.ClientError as e:
            raise Fail(str(e)) from e
        run()
    except (Fail, ApplyError, config.ConfigError) as e:
        sys.stdout.flush()
        print(str(e), file=sys.stderr)
        return 1
    except NotModelled:
        print(f'k8sprep test host: kubectl {" ".join(argv)} is not modelled by the stand-in', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
