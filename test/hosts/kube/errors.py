"""How kubeadm fails: `error execution phase <phase>: <message>`, then the stack-trace hint."""
from __future__ import annotations


class KubeadmError(Exception):
    """A failure kubeadm prints as it is (flag and config errors)."""

    def text(self) -> str:
        return str(self)


class PhaseError(KubeadmError):
    def __init__(self, phase: str, message: str):
        super().__init__(message)
        self.phase = phase

    def text(self) -> str:
        return f'error execution phase {self.phase}: {self}'


STACK_HINT = 'To see the stack trace of this error execute with --v=5 or higher'
