"""What kubectl and `kubeadm token` do before any request: load the kubeconfig, reach its server
over TLS verified with the kubeconfig's CA (the stand-in apiserver, directly, through a VIP or
through haproxy), and present a client certificate the cluster's CA signed. Failures are worded
as kubectl words them."""
from __future__ import annotations

import base64
import errno
import os
import socket
import ssl
import subprocess
import tempfile
from urllib.parse import urlsplit

import yaml

from . import pki, state


class ClientError(Exception):
    pass


def _load(path: str) -> dict:
    if not os.path.exists(path):
        raise ClientError(f'error: stat {path}: no such file or directory')
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
        return {
            'server': str(doc['clusters'][0]['cluster']['server']),
            'ca': base64.b64decode(doc['clusters'][0]['cluster']['certificate-authority-data']).decode(),
            'cert': base64.b64decode(doc['users'][0]['user'].get('client-certificate-data', '')).decode(),
        }
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, ValueError) as e:
        raise ClientError(f'error: error loading config file "{path}": {e}') from e


def _readyz(server: str, ca_pem: str, timeout: float) -> None:
    url = urlsplit(server)
    host, port = url.hostname or '', url.port or 443
    hostport = f'{host}:{port}'
    ctx = ssl.create_default_context(cadata=ca_pem)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(f'GET /readyz HTTP/1.0\r\nHost: {hostport}\r\n\r\n'.encode())
            while tls.recv(4096):
                pass
    except ssl.SSLCertVerificationError as e:
        reason = 'x509: certificate signed by unknown authority' if e.verify_code in (19, 20, 21) else f'x509: {e.verify_message}'
        raise ClientError(f'Unable to connect to the server: tls: failed to verify certificate: {reason}') from e
    except ConnectionRefusedError as e:
        raise ClientError(f'The connection to the server {hostport} was refused - did you specify the right host or port?') from e
    except (socket.timeout, TimeoutError) as e:
        raise ClientError(f'Unable to connect to the server: dial tcp {hostport}: i/o timeout') from e
    except OSError as e:
        what = 'connect: no route to host' if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH) else str(e)
        raise ClientError(f'Unable to connect to the server: dial tcp {hostport}: {what}') from e


def connect(kubeconfig: str, timeout: float = 10.0) -> None:
    """Raises ClientError unless a request with this kubeconfig would reach the cluster."""
    cfg = _load(kubeconfig)
    _readyz(cfg['server'], cfg['ca'], min(timeout, 10.0))
    with tempfile.NamedTemporaryFile('w', suffix='.crt') as ca, tempfile.NamedTemporaryFile('w', suffix='.crt') as cert:
        ca.write(cfg['ca'])
        cert.write(cfg['cert'])
        ca.flush()
        cert.flush()
        if not cfg['cert'] or pki.chain_error(ca.name, cert.name):
            raise ClientError('error: You must be logged in to the server (Unauthorized)')
    cluster = state.read('cluster')
    if cluster.get('initialized') and pki.der_of(cluster['caCert']) != pki.der_of(cfg['ca']):
        raise ClientError('Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority')


def curl_readyz(endpoint: str, max_time: int = 2) -> bool:
    """`curl -sfk https://<endpoint>/readyz`, as kubeadm's api-check and join's discovery wait."""
    r = subprocess.run(['curl', '-sfk', '--noproxy', '*', '--max-time', str(max_time), f'https://{endpoint}/readyz'], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == 'ok'
