"""kubeadm's config files decoded as kubeadm decodes them: which apiVersions and kinds this
kubeadm reads, and strict decoding against the field lists of test/data/kubeadm-api (the same
walk as test/helpers/api-fields.ts). What init and join take from the documents: settings.py."""
from __future__ import annotations

import json
import os
import re
from typing import Any

import yaml

API_DIR = '/usr/lib/k8sprep-testhost/kubeadm-api'
DURATION_RE = re.compile(r'^(?:(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h))+$')
SCHEME = 'k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31'


class ConfigError(Exception):
    pass


def minor(version: str) -> int:
    return int(version.lstrip('v').split('.')[1])


def duration_seconds(text: Any) -> float:
    """A Go duration ("24h", "8760h0m0s", "4m0s", "0") in seconds; ConfigError when malformed."""
    s = str(text)
    if s == '0':
        return 0.0
    if not DURATION_RE.match(s):
        raise ConfigError(f'time: invalid duration "{s}"')
    unit = {'ns': 1e-9, 'us': 1e-6, 'µs': 1e-6, 'ms': 1e-3, 's': 1, 'm': 60, 'h': 3600}
    return sum(float(n) * unit[u] for n, u in re.findall(r'(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)', s))


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; Go's strict decoding calls it an error."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f'strict decoding error: yaml: unmarshal errors:\n  line {key_node.start_mark.line + 1}: key "{key}" already set in map')
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _field_list(name: str) -> dict[str, Any]:
    with open(os.path.join(API_DIR, name + '.json')) as f:
        return json.load(f)


def _walk(value: Any, ref: str, path: str, schema: dict[str, Any], out: list[str]) -> None:
    if ref.startswith('[]'):
        if isinstance(value, list):
            for item in value:
                _walk(item, ref[2:], path, schema, out)
        return
    fields = schema['types'].get(ref)
    if fields is None or not isinstance(value, dict):
        return
    for key, child in value.items():
        child_path = f'{path}.{key}' if path else str(key)
        if key not in fields:
            out.append(child_path)
        else:
            _walk(child, fields[key], child_path, schema, out)


# (group, version) -> field list file, and the kubeadm minors that read it
APIS = {
    ('kubeadm.k8s.io', 'v1beta3'): ('v1beta3', 22, 35),
    ('kubeadm.k8s.io', 'v1beta4'): ('v1beta4', 31, 99),
    ('kubelet.config.k8s.io', 'v1beta1'): ('kubelet-v1beta1', 0, 99),
    ('kubeproxy.config.k8s.io', 'v1alpha1'): ('kubeproxy-v1alpha1', 0, 99),
}


def load(path: str, kubeadm_version: str, strict: bool) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The documents of a config file by kind, and the warnings init/join print. strict
    (config validate) makes unknown fields errors; init/join drop them with a warning."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f'unable to read config from "{path}" : open {path}: {e.strerror.lower() if e.strerror else e}') from e
    try:
        docs = [d for d in yaml.load_all(text, Loader=_StrictLoader) if d is not None]
    except yaml.YAMLError as e:
        raise ConfigError(f'error converting YAML to JSON: yaml: {e}') from e
    kubeadm_minor = minor(kubeadm_version)
    by_kind: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for doc in docs:
        if not isinstance(doc, dict):
            raise ConfigError('error unmarshaling JSON: while decoding JSON: json: cannot unmarshal into Object')
        api, kind = str(doc.get('apiVersion', '')), str(doc.get('kind', ''))
        if not api or not kind:
            raise ConfigError('invalid configuration for GroupVersionKind /, Kind=: kind and apiVersion is mandatory information that must be specified')
        group, _, version = api.rpartition('/')
        if group == 'kubeadm.k8s.io' and version in ('v1beta1', 'v1beta2', 'v1alpha3'):
            raise ConfigError(f'your configuration file uses an old API spec: "{api}". Please use kubeadm v1.22 instead and run '
                              "'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.")
        known = APIS.get((group, version))
        if known is None or not (known[1] <= kubeadm_minor <= known[2]):
            if group != 'kubeadm.k8s.io' and not strict:
                warnings.append(f'[config] WARNING: Ignored configuration document with GroupVersionKind {api}, Kind={kind}')
                continue
            raise ConfigError(f'no kind "{kind}" is registered for version "{api}" in scheme "{SCHEME}"')
        schema = _field_list(known[0])
        if kind not in schema['kinds']:
            raise ConfigError(f'no kind "{kind}" is registered for version "{api}" in scheme "{SCHEME}"')
        unknown: list[str] = []
        _walk(doc, schema['kinds'][kind], '', schema, unknown)
        if unknown:
            message = 'strict decoding error: ' + ', '.join(f'unknown field "{u}"' for u in unknown)
            if strict:
                raise ConfigError(message)
            warnings.append(f'W0000 00:00:00.000000       1 strict.go:54] error unmarshaling configuration schema.GroupVersionKind{{Group:"{group}", Version:"{version}", Kind:"{kind}"}}: {message}')
        if kind in by_kind:
            raise ConfigError(f'found multiple documents of kind {kind}')
        doc['_version'] = version
        by_kind[kind] = doc
    return by_kind, warnings
