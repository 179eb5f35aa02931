/** The DESIGN §4 table as data: the cases the openssl tests do not generate (DNS and `local` node addresses). */
import { httpsUrl, nodeKubeconfigSpecs, nodeLeafSpecs } from '../../src/pki/spec.js';
import { testCluster } from './fixture.js';

test('a node addressed by DNS name: the name is a DNS SAN, kubeconfigs reach the node by it', () => {
  const c = testCluster({ hosts: [{ name: 'cp1', address: 'cp1.lab.example.test' }], endpoint: '10.0.0.100' });
  const host = c.controlPlanes[0];
  if (!host) throw new Error('no host');
  const apiserver = nodeLeafSpecs(c, host).find((l) => l.name === 'apiserver');
  expect(apiserver?.sans).toEqual({
    dns: ['cp1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'cp1.lab.example.test'],
    ips: ['10.96.0.1', '10.0.0.100'],
  });
  const etcd = nodeLeafSpecs(c, host).find((l) => l.name === 'etcd-server');
  expect(etcd?.sans).toEqual({ dns: ['cp1', 'localhost', 'cp1.lab.example.test'], ips: ['127.0.0.1', '::1'] });
  const cm = nodeKubeconfigSpecs(c, host).find((k) => k.file === 'controller-manager.conf');
  expect(cm?.server).toBe('https://cp1.lab.example.test:6443');
});

test('a custom dnsDomain and service subnet reach the apiserver SANs', () => {
  const c = testCluster({ hosts: [{ name: 'cp1', address: '10.0.0.5' }], dnsDomain: 'corp.internal', serviceSubnet: '172.20.0.0/16' });
  const host = c.controlPlanes[0];
  if (!host) throw new Error('no host');
  const apiserver = nodeLeafSpecs(c, host).find((l) => l.name === 'apiserver');
  expect(apiserver?.sans.dns).toContain('kubernetes.default.svc.corp.internal');
  expect(apiserver?.sans.ips).toEqual(['172.20.0.1', '10.0.0.5']);
});

test('https URLs bracket IPv6 hosts only', () => {
  expect(httpsUrl('fd00::1', 6443)).toBe('https://[fd00::1]:6443');
  expect(httpsUrl('10.0.0.1', 6443)).toBe('https://10.0.0.1:6443');
  expect(httpsUrl('api.example.test', 443)).toBe('https://api.example.test:443');
});
