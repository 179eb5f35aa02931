"""kubeadm stand-in, the cluster part: `config validate`, `init`, `join`, `reset` and `token`
(the bash stand-in records the call and answers `version` and `config images` itself). Flags
outside the bootstrap contract fail loudly, as an unknown invocation must."""
from __future__ import annotations

import contextlib
import os
import socket
import sys
from typing import Any, Iterator

from . import config, host, settings, state
from .errors import STACK_HINT, KubeadmError, PhaseError

# flag -> takes a value; per command
FLAGS: dict[str, dict[str, bool]] = {
    'config validate': {'--config': True, '--allow-experimental-api': False},
    'init': {'--config': True, '--ignore-preflight-errors': True, '--skip-token-print': False, '--v': True},
    'join': {'--config': True, '--ignore-preflight-errors': True, '--v': True},
    'reset': {'--force': False, '-f': False, '--cri-socket': True, '--v': True},
    'token list': {'--kubeconfig': True},
    'token create': {'--kubeconfig': True, '--config': True, '--ttl': True, '--description': True, '--usages': True, '--groups': True},
    'token delete': {'--kubeconfig': True},
}


def parse(argv: list[str]) -> tuple[str, dict[str, list[str]], list[str]]:
    """(command, flags -> values, positional args); KubeadmError for what kubeadm would refuse."""
    words = [a for a in argv if not a.startswith('-')]
    command = ' '.join(words[:2]) if words[:1] in (['config'], ['token']) else (words[0] if words else '')
    known = FLAGS.get(command)
    if known is None:
        raise KubeadmError(f'k8sprep test host: kubeadm {" ".join(argv)} is not modelled by the stand-in')
    flags: dict[str, list[str]] = {}
    positional: list[str] = []
    rest = argv[:]
    for w in command.split():
        rest.remove(w)  # the first occurrence: the command words come first
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg.startswith('-'):
            name, eq, value = arg.partition('=')
            if name not in known:
                raise KubeadmError(f'unknown flag: {name}')
            if known[name] and not eq:
                if i + 1 >= len(rest):
                    raise KubeadmError(f'flag needs an argument: {name}')
                i += 1
                value = rest[i]
            flags.setdefault(name, []).append(value)
        else:
            positional.append(arg)
        i += 1
    return command, flags, positional


def kubeadm_version() -> str:
    return os.environ.get('TH_RELEASE_VERSION') or host.package_version('kubeadm') or '0.0.0'


def host_address() -> str:
    return host.env()['TH_ADDR']


@contextlib.contextmanager
def logged(op: str, checks: dict[str, Any]) -> Iterator[None]:
    """A start and an end line in the cluster log; the end says what was checked and how it went."""
    name = socket.gethostname()
    with state.locked():
        state.append_log({'host': name, 'op': op, 'event': 'start'})
    try:
        yield
    except KubeadmError as e:
        with state.locked():
            state.append_log({'host': name, 'op': op, 'event': 'end', 'result': 'failed', 'error': e.text(), 'checks': checks})
        raise
    with state.locked():
        state.append_log({'host': name, 'op': op, 'event': 'end', 'result': 'ok', 'checks': checks})


def config_file(flags: dict[str, list[str]]) -> str:
    if '--config' not in flags:
        raise KubeadmError('k8sprep test host: kubeadm without --config is not modelled by the stand-in')
    return flags['--config'][-1]


def validate(flags: dict[str, list[str]]) -> None:
    try:
        docs, _ = config.load(config_file(flags), kubeadm_version(), strict=True)
        if 'InitConfiguration' in docs or 'ClusterConfiguration' in docs:
            settings.init_config(docs, host_address(), kubeadm_version())
        if 'JoinConfiguration' in docs:
            settings.join_config(docs, host_address())
    except config.ConfigError as e:
        raise KubeadmError(str(e)) from e
    print('ok')


def main(argv: list[str]) -> int:
    try:
        command, flags, positional = parse(argv)
        if command == 'config validate':
            validate(flags)
        elif command == 'init':
            from . import init
            init.run(flags)
        elif command == 'join':
            if positional:
                raise KubeadmError(f"can not mix '--config' with arguments {positional}")
            from . import join
            join.run(flags)
        elif command == 'reset':
            from . import reset
            reset.run(flags)
        else:
            from . import tokens
            tokens.run(command, flags, positional)
    except KubeadmError as e:
        sys.stdout.flush()
        sys.stderr.write(e.text().rstrip('\n') + '\n')
        if isinstance(e, PhaseError):
            sys.stderr.write(STACK_HINT + '\n')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
