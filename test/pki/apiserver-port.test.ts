/**
 * Where the renewal asks /healthz: the `--secure-port` of the kube-apiserver manifest, in both
 * spellings kube-apiserver accepts, and 6443 (its default) when the manifest has none or cannot
 * be read.
 */
import { stringify } from 'yaml';
import { apiserverSecurePort } from '../../src/steps/certs/apiserver-port.js';

const pod = (containers: { name: string; command?: string[]; args?: string[] }[]) => stringify({ apiVersion: 'v1', kind: 'Pod', spec: { containers } });

test.each([
  ['--secure-port=N in command', pod([{ name: 'kube-apiserver', command: ['kube-apiserver', '--advertise-address=10.0.0.1', '--secure-port=8443'] }]), 8443],
  ['--secure-port N in args', pod([{ name: 'kube-apiserver', command: ['kube-apiserver'], args: ['--secure-port', '9443'] }]), 9443],
  [
    'the kube-apiserver container, not a sidecar',
    pod([
      { name: 'sidecar', command: ['x', '--secure-port=1111'] },
      { name: 'kube-apiserver', command: ['kube-apiserver', '--secure-port=7443'] },
    ]),
    7443,
  ],
  ['no --secure-port: the default', pod([{ name: 'kube-apiserver', command: ['kube-apiserver'] }]), 6443],
  ['a port that is not one: the default', pod([{ name: 'kube-apiserver', command: ['kube-apiserver', '--secure-port=70000'] }]), 6443],
  ['not YAML: the default', 'spec: [unclosed', 6443],
  ['no manifest: the default', undefined, 6443],
])('%s', (_what, manifest, port) => {
  expect(apiserverSecurePort(manifest)).toBe(port);
});
