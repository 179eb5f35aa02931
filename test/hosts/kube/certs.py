"""kubeadm's certs and kubeconfig phases for init and for a joining control plane: a file on disk
is kept when it checks out (a leaf chains to its CA; apiserver.crt carries every SAN kubeadm would
put in it; a kubeconfig embeds ca.crt), a missing one is generated, anything else is an error
worded like kubeadm's. `checks` collects what was found, for the cluster log."""
from __future__ import annotations

import ipaddress
import os
from typing import Any

import yaml

from . import pki
from .errors import PhaseError

CAS = (('ca', 'kubernetes'), ('front-proxy-ca', 'front-proxy-ca'), ('etcd/ca', 'etcd-ca'))
SHARED = ('ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key')


def endpoint_host(endpoint: str) -> str:
    if endpoint.startswith('['):
        return endpoint[1:].split(']')[0]
    return endpoint.rsplit(':', 1)[0] if endpoint.count(':') == 1 else endpoint


def first_service_ip(service_subnet: str) -> str:
    net = ipaddress.ip_network(service_subnet.split(',')[0].strip(), strict=False)
    return str(net.network_address + 1)


def apiserver_names(cfg: dict[str, Any]) -> list[str]:
    """Every SAN kubeadm puts in apiserver.crt (certs.GetAPIServerAltNames)."""
    names = [cfg['node']['name'], 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
             f'kubernetes.default.svc.{cfg["dnsDomain"]}', first_service_ip(cfg['serviceSubnet']), cfg['advertiseAddress']]
    if cfg['controlPlaneEndpoint']:
        names.append(endpoint_host(cfg['controlPlaneEndpoint']))
    return list(dict.fromkeys(names + cfg['certSANs']))


def leaves(cfg: dict[str, Any], admins_group: str) -> list[tuple[str, str, str, str | None, str, list[str]]]:
    """(base, ca, CN, O, extended key usage, SANs) of each leaf kubeadm makes."""
    node, adv = cfg['node']['name'], cfg['advertiseAddress']
    etcd_names = [node, 'localhost', adv, '127.0.0.1', '::1']
    return [
        ('apiserver', 'ca', 'kube-apiserver', None, 'serverAuth', apiserver_names(cfg)),
        ('apiserver-kubelet-client', 'ca', 'kube-apiserver-kubelet-client', admins_group, 'clientAuth', []),
        ('front-proxy-client', 'front-proxy-ca', 'front-proxy-client', None, 'clientAuth', []),
        ('etcd/server', 'etcd/ca', node, None, 'serverAuth,clientAuth', etcd_names),
        ('etcd/peer', 'etcd/ca', node, None, 'serverAuth,clientAuth', etcd_names),
        ('etcd/healthcheck-client', 'etcd/ca', 'kube-etcd-healthcheck-client', None, 'clientAuth', []),
        ('apiserver-etcd-client', 'etcd/ca', 'kube-apiserver-etcd-client', None, 'clientAuth', []),
    ]


def present(pki_dir: str) -> dict[str, bool]:
    """Which of the files control planes share are on disk (for the log)."""
    return {name: os.path.exists(os.path.join(pki_dir, name)) for name in SHARED}


def certs_phase(cfg: dict[str, Any], joining: bool, admins_group: str, checks: dict[str, Any]) -> None:
    d = cfg['certificatesDir']
    os.makedirs(os.path.join(d, 'etcd'), exist_ok=True)
    print(f'[certs] Using certificateDir folder "{d}"')
    for base, cn in CAS:
        path = os.path.join(d, base)
        if os.path.exists(path + '.crt'):
            print(f'[certs] Using existing {base.replace("/", "-")} certificate authority')
        else:
            print(f'[certs] Generating "{base.replace("/", "-")}" certificate and key')
            pki.new_ca(path, cn)
    results: dict[str, str] = {}
    for base, ca, cn, org, usage, names in leaves(cfg, admins_group):
        phase = 'control-plane-prepare/certs' if joining else f'certs/{base.replace("etcd/", "etcd-")}'
        results[base] = _leaf(d, base, ca, cn, org, usage, names, phase, joining)
    checks['leaves'] = results
    if os.path.exists(os.path.join(d, 'sa.key')):
        print('[certs] Using the existing "sa" key')
    else:
        print('[certs] Generating "sa" key and public key')
        pki.new_sa(d)


def _leaf(d: str, base: str, ca: str, cn: str, org: str | None, usage: str, names: list[str], phase: str, joining: bool) -> str:
    crt, key, ca_path = os.path.join(d, base + '.crt'), os.path.join(d, base + '.key'), os.path.join(d, ca)
    shown = base.replace('/', '-')

    def fail(message: str) -> PhaseError:
        if joining:
            return PhaseError(phase, f'error creating PKI assets: failed to write or validate certificate "{shown}": {message}')
        return PhaseError(phase, f'[certs] {message}')

    if os.path.exists(crt):
        err = pki.chain_error(ca_path + '.crt', crt)
        if err:
            raise fail(f'certificate {shown} not signed by CA certificate {ca.replace("/", "-")}: {err}')
        if not os.path.exists(key):
            raise fail(f"failure loading {shown} key: couldn't load the private key file {key}: open {key}: no such file or directory")
        if base == 'apiserver':
            err = pki.hostname_error(crt, names)
            if err:
                raise fail(f'certificate {shown} is invalid: {err}')
        print(f'[certs] Using existing {shown} certificate and key on disk')
        return 'existing'
    if not os.path.exists(ca_path + '.key'):
        raise fail(f'could not load expected certificate "{shown}" or validate the existence of key "{ca.replace("/", "-")}" for it')
    print(f'[certs] Generating "{shown}" certificate and key')
    pki.new_leaf(ca_path, os.path.join(d, base), cn, org, usage, names)
    return 'generated'


def kubeconfig_phase(cfg: dict[str, Any], files: list[tuple[str, str, str, str | None, str]], phase: str, checks: dict[str, Any]) -> None:
    """files: (file name, user, CN, O, server URL). Existing ones must embed ca.crt."""
    d = cfg['certificatesDir']
    with open(os.path.join(d, 'ca.crt')) as f:
        ca_der = pki.der_of(f.read())
    results: dict[str, str] = {}
    for name, user, cn, org, server in files:
        path = f'/etc/kubernetes/{name}'
        if os.path.exists(path):
            try:
                same_ca = pki.der_of(pki.kubeconfig_ca(path)) == ca_der
            except pki.PkiError as e:
                raise PhaseError(f'{phase}/{name.removesuffix(".conf")}', f'failed to load kubeconfig file "{path}": {e}') from e
            if not same_ca:
                raise PhaseError(f'{phase}/{name.removesuffix(".conf")}', f'a kubeconfig file "{path}" exists already but has got the wrong CA cert')
            got = _server_of(path)
            if got != server:
                print(f'[kubeconfig] WARNING: a kubeconfig file "{path}" exists already but has an unexpected API Server URL: expected: {server}, got: {got}')
            print(f'[kubeconfig] Using existing kubeconfig file: "{path}"')
            results[name] = 'existing'
        else:
            print(f'[kubeconfig] Writing "{name}" kubeconfig file')
            pki.kubeconfig(path, d, server, user, cn, org)
            results[name] = 'generated'
    checks['kubeconfigs'] = results


def _server_of(path: str) -> str:
    with open(path) as f:
        doc = yaml.safe_load(f)
    return str(doc['clusters'][0]['cluster'].get('server', ''))
