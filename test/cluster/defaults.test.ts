/** Defaults, the ssh merge (defaults <- spec.ssh <- host.ssh), ~ expansion, durations, key bits. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseClusterText } from '../../src/cluster/load.js';
import { durationToHours } from '../../src/cluster/duration.js';
import { InputError } from '../../src/errors.js';

const MINIMAL = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: mini}
spec:
  kubernetes: {version: "1.31.1"}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
`;

function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected an InputError');
}

test('a minimal file gets every default', () => {
  const c = parseClusterText(MINIMAL, 'mini.yaml', '/srv/clusters/mini.yaml');
  expect(c.kubernetes).toEqual({
    version: { full: '1.31.1', major: 1, minor: 31, patch: 1, minorString: '1.31' },
    imageRepository: 'registry.aliyuncs.com/google_containers',
    podSubnet: '10.244.0.0/16',
    serviceSubnet: '10.96.0.0/12',
    dnsDomain: 'cluster.local',
    proxyMode: 'ipvs',
    cni: 'calico',
  });
  expect(c.mirrors).toEqual({ packages: 'aliyun', registries: {}, binaries: 'https://dl.k8s.io' });
  expect(c.firewall).toBe('open-ports');
  expect(c.sysctl).toEqual({});
  expect(c.certificates).toEqual({ keyAlgorithm: 'rsa-2048', keyBits: 2048, caValidityHours: 87600, certValidityHours: 8760 });
  expect(c.hosts[0]?.ssh).toEqual({ user: 'root', port: 22 });
  expect(c.hosts[0]?.os).toBeUndefined();
  expect(c.controlPlaneEndpoint).toBeUndefined();
  expect(c.apiEndpoint).toEqual({ host: '10.1.0.1', port: 6443 });
  expect(c.stateDir).toBe('/srv/clusters/.k8sprep/mini');
  expect(c.source.file).toBe('/srv/clusters/mini.yaml');
});

test('without a source file the state directory is in the working directory', () => {
  const c = parseClusterText(MINIMAL, 'mini.yaml');
  expect(c.stateDir).toBe(join(process.cwd(), '.k8sprep', 'mini'));
  expect(c.source.file).toBeUndefined();
});

describe('the endpoint: defaults by load balancer and derived values', () => {
  const withEndpoint = (endpoint: string) => parseClusterText(MINIMAL.replace('  hosts:', `  controlPlaneEndpoint: ${endpoint}\n  hosts:`), 'mini.yaml');

  test('kube-vip by default, on 6443; an IP host is the VIP', () => {
    const c = withEndpoint('{host: 10.1.0.100}');
    expect(c.controlPlaneEndpoint).toEqual({ host: '10.1.0.100', port: 6443, loadBalancer: 'kube-vip' });
    expect(c.apiEndpoint).toEqual({ host: '10.1.0.100', port: 6443 });
    expect(c.vip).toBe('10.1.0.100');
    expect(c.endpointName).toBeUndefined();
  });

  test('keepalived-haproxy: port 8443 and virtual router 51 by default; a name host with its VIP in address', () => {
    const c = withEndpoint('{host: api.lab.example, address: 10.1.0.100, loadBalancer: keepalived-haproxy}');
    expect(c.controlPlaneEndpoint).toEqual({ host: 'api.lab.example', port: 8443, loadBalancer: 'keepalived-haproxy', virtualRouterId: 51 });
    expect(c.apiEndpoint).toEqual({ host: 'api.lab.example', port: 8443 });
    expect(c.vip).toBe('10.1.0.100');
    expect(c.endpointName).toBe('api.lab.example');
    const own = withEndpoint('{host: 10.1.0.100, port: 9443, loadBalancer: keepalived-haproxy, virtualRouterId: 7}');
    expect(own.controlPlaneEndpoint).toEqual({ host: '10.1.0.100', port: 9443, loadBalancer: 'keepalived-haproxy', virtualRouterId: 7 });
  });

  test('external: port 6443 by default, a name and no VIP', () => {
    const c = withEndpoint('{host: api.lab.example, loadBalancer: external}');
    expect(c.controlPlaneEndpoint).toEqual({ host: 'api.lab.example', port: 6443, loadBalancer: 'external' });
    expect(c.vip).toBeUndefined();
    expect(c.endpointName).toBe('api.lab.example');
  });

  test('no endpoint: the first control plane on 6443, no VIP, no name', () => {
    const c = parseClusterText(MINIMAL, 'mini.yaml');
    expect(c.apiEndpoint).toEqual({ host: '10.1.0.1', port: 6443 });
    expect([c.controlPlaneEndpoint, c.vip, c.endpointName]).toEqual([undefined, undefined, undefined]);
  });
});

test('mirrors.manifests and kubernetes.cniManifest: optional, trailing slash dropped, checksum lowercased', () => {
  const plain = parseClusterText(MINIMAL, 'mini.yaml');
  expect(plain.mirrors.manifests).toBeUndefined();
  expect(plain.kubernetes.cniManifest).toBeUndefined();
  const sum = 'AB'.repeat(32);
  const c = parseClusterText(
    MINIMAL.replace('{version: "1.31.1"}', `{version: "1.31.1", cniManifest: {url: "http://127.0.0.1:8080/cni/calico.yaml", sha256: ${sum}}}`).replace(
      '  hosts:',
      '  mirrors: {manifests: https://files.m.daocloud.io/}\n  hosts:',
    ),
    'mini.yaml',
  );
  expect(c.mirrors.manifests).toBe('https://files.m.daocloud.io');
  expect(c.kubernetes.cniManifest).toEqual({ url: 'http://127.0.0.1:8080/cni/calico.yaml', sha256: 'ab'.repeat(32) });
});

test('first service IP follows the service subnet', () => {
  const c = parseClusterText(MINIMAL.replace('{version: "1.31.1"}', '{version: "1.31.1", serviceSubnet: 10.100.0.0/16}'), 'm.yaml');
  expect(c.firstServiceIp).toBe('10.100.0.1');
});

describe('ssh settings: built-in defaults <- spec.ssh <- host.ssh', () => {
  const text = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: ssh}
spec:
  kubernetes: {version: "1.30.6"}
  ssh:
    user: ops
    port: 2222
    identityFile: ~/.ssh/ops_key
    passwordEnv: OPS_PASS
    bastion: {host: jump.example.com, identityFile: ~/.ssh/jump}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
    - {name: b, address: 10.1.0.2, roles: [worker], ssh: {port: 22}}
    - name: c
      address: 10.1.0.3
      roles: [worker]
      ssh: {user: admin, identityFile: keys/c, bastion: {host: 10.1.0.254, user: jump, port: 2200}}
`;
  const c = parseClusterText(text, 'ssh.yaml', '/srv/ssh.yaml');
  const home = homedir();

  test('a host without ssh gets spec.ssh with built-in bastion defaults', () => {
    expect(c.hosts[0]?.ssh).toEqual({
      user: 'ops',
      port: 2222,
      identityFile: join(home, '.ssh/ops_key'),
      passwordEnv: 'OPS_PASS',
      bastion: { host: 'jump.example.com', user: 'root', port: 22, identityFile: join(home, '.ssh/jump') },
    });
  });

  test('a host overrides single fields and keeps the rest', () => {
    expect(c.hosts[1]?.ssh).toMatchObject({ user: 'ops', port: 22, identityFile: join(home, '.ssh/ops_key'), passwordEnv: 'OPS_PASS' });
    expect(c.hosts[1]?.ssh.bastion?.host).toBe('jump.example.com');
  });

  test("a host's own bastion replaces the default one; a relative key resolves from the working directory", () => {
    expect(c.hosts[2]?.ssh).toEqual({
      user: 'admin',
      port: 2222,
      identityFile: resolve('keys/c'),
      passwordEnv: 'OPS_PASS',
      bastion: { host: '10.1.0.254', user: 'jump', port: 2200 },
    });
  });
});

describe('durations and key sizes', () => {
  test.each([
    ['87600h', 87600],
    ['365d', 8760],
    ['90m', 1.5],
    ['1h30m', 1.5],
    ['3600s', 1],
    ['1d12h', 36],
  ])('%s = %d hours', (text, hours) => {
    expect(durationToHours(text)).toBeCloseTo(hours, 10);
  });

  test('certificate validity in the file is turned into hours, the key algorithm into bits', () => {
    const c = parseClusterText(
      MINIMAL.replace('  hosts:', '  certificates: {keyAlgorithm: rsa-3072, caValidity: 3650d, certValidity: 8760h}\n  hosts:'),
      'm.yaml',
    );
    expect(c.certificates).toEqual({ keyAlgorithm: 'rsa-3072', keyBits: 3072, caValidityHours: 87600, certValidityHours: 8760 });
  });

  test('zero and malformed durations are refused', () => {
    const text = MINIMAL.replace('  hosts:', '  certificates: {caValidity: 0h, certValidity: 1y}\n  hosts:');
    expect(messages(() => parseClusterText(text, 'm.yaml'))).toEqual([
      'm.yaml:6:30: spec.certificates.caValidity: "0h" is not a duration like 8760h or 365d',
      'm.yaml:6:48: spec.certificates.certValidity: "1y" is not a duration like 8760h or 365d',
    ]);
  });

  test('an unknown key algorithm is refused', () => {
    const text = MINIMAL.replace('  hosts:', '  certificates: {keyAlgorithm: ecdsa-p256}\n  hosts:');
    expect(messages(() => parseClusterText(text, 'm.yaml'))).toEqual([
      'm.yaml:6:32: spec.certificates.keyAlgorithm: "ecdsa-p256" is not one of rsa-2048, rsa-3072, rsa-4096',
    ]);
  });
});
