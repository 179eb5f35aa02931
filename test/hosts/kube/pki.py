"""Certificates and kubeconfigs with the real openssl: what kubeadm checks on disk (a leaf chains
to its CA, the apiserver's SANs, a kubeconfig's CA) and what it generates when a file is
missing. Generated keys are ECDSA P-256 (kubeadm's default is RSA-2048): a test host makes them
at every init, and nothing here depends on the key type."""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import subprocess
import tempfile

import yaml


class PkiError(Exception):
    pass


def openssl(*args: str, input: str | bytes | None = None) -> bytes:
    r = subprocess.run(['openssl', *args], input=input.encode() if isinstance(input, str) else input, capture_output=True)
    if r.returncode != 0:
        raise PkiError(r.stderr.decode(errors='replace').strip())
    return r.stdout


def der_of(pem: str) -> bytes:
    """The first certificate of a PEM text as DER (a comparison that ignores line breaks)."""
    m = re.search(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', pem, re.S)
    if not m:
        raise PkiError('no certificate in PEM data')
    return base64.b64decode(''.join(m.group(1).split()))


def spki_hash(pem: str) -> str:
    """kubeadm's discovery-token-ca-cert-hash: sha256 of the DER SubjectPublicKeyInfo."""
    pub = openssl('x509', '-noout', '-pubkey', input=pem)
    der = openssl('pkey', '-pubin', '-outform', 'DER', input=pub)
    return 'sha256:' + hashlib.sha256(der).hexdigest()


def chain_error(ca_path: str, cert_path: str) -> str | None:
    """None when cert_path is signed by ca_path (openssl verify), else Go's x509 wording."""
    r = subprocess.run(['openssl', 'verify', '-CAfile', ca_path, cert_path], capture_output=True, text=True)
    if r.returncode == 0:
        return None
    if 'unable to get local issuer' in r.stderr or 'unable to get issuer' in r.stderr or 'signature failure' in r.stderr:
        return 'x509: certificate signed by unknown authority'
    if 'expired' in r.stderr:
        return 'x509: certificate has expired or is not yet valid'
    return 'x509: ' + (r.stderr.strip().splitlines() or ['verification failed'])[-1]


def sans(cert_path: str) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of a certificate's subjectAltName."""
    text = openssl('x509', '-noout', '-in', cert_path, '-ext', 'subjectAltName').decode()
    dns, ips = [], []
    for part in text.split('\n', 1)[-1].replace('\n', ',').split(','):
        part = part.strip()
        if part.startswith('DNS:'):
            dns.append(part[4:])
        elif part.startswith('IP Address:'):
            ips.append(str(ipaddress.ip_address(part[11:])))
    return dns, ips


def hostname_error(cert_path: str, names: list[str]) -> str | None:
    """Go's cert.VerifyHostname over every name, as kubeadm validates an existing apiserver.crt."""
    dns, ips = sans(cert_path)
    for name in names:
        try:
            ip = str(ipaddress.ip_address(name))
        except ValueError:
            if name.lower() not in (d.lower() for d in dns):
                return f'x509: certificate is valid for {", ".join(dns)}, not {name}'
            continue
        if ip not in ips:
            return f'x509: certificate is valid for {", ".join(ips)}, not {name}'
    return None


def new_key(path: str) -> None:
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path)
    os.chmod(path, 0o600)


def new_ca(base: str, cn: str) -> None:
    """base.crt and base.key: a self-signed CA for ten years."""
    new_key(base + '.key')
    openssl('req', '-x509', '-new', '-key', base + '.key', '-subj', f'/CN={cn}', '-days', '3650', '-out', base + '.crt',
            '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign')
    os.chmod(base + '.crt', 0o644)


def new_leaf(ca: str, base: str, cn: str, org: str | None, usage: str, names: list[str] | None = None) -> None:
    """base.crt/.key signed by ca.crt/.key, for a year, with `names` as SANs."""
    new_key(base + '.key')
    subject = f'/CN={cn}' + (f'/O={org}' if org else '')
    ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', f'extendedKeyUsage={usage}']
    alt = []
    for n in names or []:
        try:
            alt.append(f'IP:{ipaddress.ip_address(n)}')
        except ValueError:
            alt.append(f'DNS:{n}')
    if alt:
        ext.append('subjectAltName=' + ','.join(dict.fromkeys(alt)))
    with tempfile.NamedTemporaryFile('w', suffix='.ext') as extfile:
        extfile.write('\n'.join(ext) + '\n')
        extfile.flush()
        csr = openssl('req', '-new', '-key', base + '.key', '-subj', subject)
        openssl('x509', '-req', '-CA', ca + '.crt', '-CAkey', ca + '.key', '-CAcreateserial', '-days', '365',
                '-extfile', extfile.name, '-out', base + '.crt', input=csr)
    os.chmod(base + '.crt', 0o644)
    try:
        os.remove(ca + '.srl')
    except FileNotFoundError:
        pass


def new_sa(pki: str) -> None:
    new_key(os.path.join(pki, 'sa.key'))
    pub = openssl('pkey', '-in', os.path.join(pki, 'sa.key'), '-pubout')
    with open(os.path.join(pki, 'sa.pub'), 'wb') as f:
        f.write(pub)


def kubeconfig_ca(path: str) -> str:
    """The CA certificate (PEM) a kubeconfig embeds; PkiError when it is not a kubeconfig."""
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
        data = doc['clusters'][0]['cluster']['certificate-authority-data']
        return base64.b64decode(data).decode()
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, ValueError) as e:
        raise PkiError(f'{path} is not a kubeconfig with certificate-authority-data: {e}') from e


def kubeconfig(path: str, pki: str, server: str, user: str, cn: str, org: str | None, ca_pem: str | None = None) -> None:
    """A kubeconfig like kubeadm's: cluster "kubernetes", context <user>@kubernetes, a client
    certificate signed by pki/ca; it embeds pki/ca.crt, or ca_pem when given."""
    with tempfile.TemporaryDirectory() as tmp:
        new_leaf(os.path.join(pki, 'ca'), os.path.join(tmp, 'client'), cn, org, 'clientAuth')
        b64 = {n: base64.b64encode(open(os.path.join(d, n), 'rb').read()).decode() for d, n in ((pki, 'ca.crt'), (tmp, 'client.crt'), (tmp, 'client.key'))}
    if ca_pem is not None:
        b64['ca.crt'] = base64.b64encode(ca_pem.encode()).decode()
    doc = {
        'apiVersion': 'v1', 'kind': 'Config', 'preferences': {}, 'current-context': f'{user}@kubernetes',
        'clusters': [{'name': 'kubernetes', 'cluster': {'certificate-authority-data': b64['ca.crt'], 'server': server}}],
        'contexts': [{'name': f'{user}@kubernetes', 'context': {'cluster': 'kubernetes', 'user': user}}],
        'users': [{'name': user, 'user': {'client-certificate-data': b64['client.crt'], 'client-key-data': b64['client.key']}}],
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(doc, f, sort_keys=False)
