"""kubeadm's preflight checks, named and worded as kubeadm names them (cmd/kubeadm/app/preflight,
see /work/notes/lb-cni.md §4.1), against this host's stand-in state. One deviation from the real
kubeadm, from the bootstrap contract: Service-Kubelet (kubelet not enabled) is an error here,
where kubeadm only warns, so a preparation that forgets to enable the kubelet fails a test."""
from __future__ import annotations

import os

from . import host
from .errors import PhaseError

CRI_DOWN = ('container runtime is not running: output: time="2026-01-01T00:00:00Z" level=fatal msg="validate service connection: '
            'validate CRI v1 runtime API for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unavailable '
            'desc = connection error: desc = \\"transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: '
            'no such file or directory\\"", error: exit status 1')
MANIFESTS = ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd')


def check_name(path: str) -> str:
    return path.replace('/', '-')


class Preflight:
    def __init__(self, ignored: list[str]):
        # kubeadm compares lowercased names; "all" makes every check a warning.
        self.ignored = {i.strip().lower() for item in ignored for i in item.split(',') if i.strip()}
        self.failures: list[tuple[str, str]] = []

    def fail(self, name: str, message: str) -> None:
        self.failures.append((name, message))

    def warn_only(self, name: str) -> bool:
        return 'all' in self.ignored or name.lower() in self.ignored

    def finish(self, checks: dict) -> None:
        """Prints the ignored failures as warnings; raises for the rest. checks['preflight']:
        the name of every failed check, ignored ones included."""
        checks['preflight'] = [name for name, _ in self.failures]
        print('[preflight] Running pre-flight checks')
        fatal = []
        for name, message in self.failures:
            if self.warn_only(name):
                print(f'\t[WARNING {name}]: {message}')
            else:
                fatal.append(f'\t[ERROR {name}]: {message}')
        if fatal:
            raise PhaseError('preflight', '[preflight] Some fatal errors occurred:\n' + '\n'.join(fatal) +
                             '\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`')

    # ---- the checks ------------------------------------------------------------------------

    def common(self, kubeadm_version: str, kubelet: dict | None) -> None:
        """Checks init and join share (RunInitNodeChecks/RunJoinNodeChecks' common part)."""
        if host.unit('containerd.service')[1] != 'active':
            self.fail('CRI', CRI_DOWN)
        if host.swap_on():
            if kubelet and kubelet.get('failSwapOn') is False:
                print('\t[WARNING Swap]: swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap.')
            else:
                self.fail('Swap', 'running with swap on is not supported. Please disable swap')
        self._sysctl_one('net.bridge.bridge-nf-call-iptables', 'br_netfilter')
        self._sysctl_one('net.ipv4.ip_forward', None)
        self._system_verification(kubeadm_version)
        if host.unit('kubelet.service')[0] != 'enabled':
            self.fail('Service-Kubelet', "kubelet service is not enabled, please run 'systemctl enable kubelet.service'")
        self.ports(10250)

    def _sysctl_one(self, key: str, module: str | None) -> None:
        path = '/proc/sys/' + key.replace('.', '/')
        name = 'FileContent-' + check_name(path)
        if module and not host.module_loaded(module):
            self.fail(name, f'{path} does not exist')
        elif host.sysctl(key) != '1':
            self.fail(name, f'{path} contents are not set to 1')

    def _system_verification(self, kubeadm_version: str) -> None:
        # kubeadm 1.32's system validators dropped the 3.x kernels (CentOS 7's 3.10).
        kernel = host.env().get('TH_KERNEL', '')
        major = int(kernel.split('.')[0]) if kernel[:1].isdigit() else 0
        if major < 4 and int(kubeadm_version.split('.')[1]) >= 32:
            self.fail('SystemVerification', f'kernel release {kernel} is unsupported. Recommended LTS version from the 4.x series is 4.19. '
                      'Any 5.x or 6.x versions are also supported. For cgroups v2 support, the minimal version is 4.15 and the recommended version is 5.8+')

    def ports(self, *ports: int) -> None:
        listening = host.listening_ports()
        for port in ports:
            if port in listening:
                self.fail(f'Port-{port}', f'Port {port} is in use')

    def file_available(self, path: str) -> None:
        if os.path.lexists(path):
            self.fail('FileAvailable-' + check_name(path), f'{path} already exists')

    def control_plane(self, bind_port: int) -> None:
        """Init's own checks, also run for a joining control plane."""
        self.ports(bind_port, 10259, 10257)
        for name in MANIFESTS:
            self.file_available(f'/etc/kubernetes/manifests/{name}.yaml')
        self.ports(2379, 2380)
        if os.path.isdir('/var/lib/etcd') and os.listdir('/var/lib/etcd'):
            self.fail('DirAvailable--var-lib-etcd', '/var/lib/etcd is not empty')

    def images(self, wanted: list[str]) -> None:
        # kubeadm would pull what is missing; test hosts reach no registry, as an air-gapped site.
        present = host.images()
        for ref in wanted:
            if ref not in present:
                registry = ref.split('/')[0]
                self.fail('ImagePull', f'failed to pull image {ref}: output: E0000 rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
                          f'dial tcp: lookup {registry}: no such host, error: exit status 1')
