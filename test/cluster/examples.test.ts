/** The three example cluster files load with the right defaults and derived values (DESIGN §2). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadClusterFile } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';
import { EXAMPLES } from '../helpers/cli.js';

const load = (name: string): Promise<Cluster> => loadClusterFile(join(EXAMPLES, name));
const names = (hosts: { name: string }[]) => hosts.map((h) => h.name);

test('examples/ holds these three, each loads, and each names its JSON Schema for editors on its first line', async () => {
  const files = readdirSync(EXAMPLES).sort();
  expect(files).toEqual(['ha-centos7.yaml', 'mixed-bastion.yaml', 'single-arch.yaml']);
  for (const f of files) {
    await expect(load(f)).resolves.toMatchObject({ hosts: expect.any(Array) });
    const first = readFileSync(join(EXAMPLES, f), 'utf8').split('\n')[0] ?? '';
    const schema = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
    expect([f, schema]).toEqual([f, '../schema/cluster.schema.json']);
    expect(existsSync(resolve(dirname(join(EXAMPLES, f)), schema!))).toBe(true);
  }
});

describe('examples/ha-centos7.yaml', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await load('ha-centos7.yaml');
  });

  test('hosts, roles and the control-plane list in file order', () => {
    expect(c.name).toBe('ha-centos7');
    expect(names(c.hosts)).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2']);
    expect(c.hosts.map((h) => h.index)).toEqual([0, 1, 2, 3, 4]);
    expect(names(c.controlPlanes)).toEqual(['cp1', 'cp2', 'cp3']);
    expect(names(c.workers)).toEqual(['w1', 'w2']);
    expect(c.firstControlPlane.name).toBe('cp1');
    expect(c.firstControlPlane.address).toBe('192.168.56.11');
    expect(c.hosts.map((h) => [h.isControlPlane, h.isWorker])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [false, true],
      [false, true],
    ]);
    expect(c.hosts.map((h) => h.os)).toEqual(['centos7', 'centos7', 'centos7', 'centos7', 'centos7']);
  });

  test('the endpoint (an IP: the VIP itself), the first service IP and the version', () => {
    expect(c.controlPlaneEndpoint).toEqual({ host: '192.168.56.100', port: 6443, loadBalancer: 'kube-vip' });
    expect(c.apiEndpoint).toEqual({ host: '192.168.56.100', port: 6443 });
    expect(c.vip).toBe('192.168.56.100');
    expect(c.endpointName).toBeUndefined();
    expect(c.firstServiceIp).toBe('10.96.0.1');
    expect(c.kubernetes.version).toEqual({ full: '1.30.6', major: 1, minor: 30, patch: 6, minorString: '1.30' });
  });

  test('defaults for what the file leaves out', () => {
    expect(c.kubernetes).toMatchObject({
      imageRepository: 'registry.aliyuncs.com/google_containers',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      dnsDomain: 'cluster.local',
      proxyMode: 'ipvs',
      cni: 'calico',
    });
    expect(c.mirrors).toEqual({
      packages: 'aliyun',
      registries: { 'ghcr.io': ['https://ghcr.m.daocloud.io'], 'quay.io': ['https://quay.m.daocloud.io'], 'docker.io': ['https://docker.m.daocloud.io'] },
      binaries: 'https://dl.k8s.io',
    });
    expect(c.firewall).toBe('open-ports');
    expect(c.sysctl).toEqual({});
    expect(c.certificates).toEqual({ keyAlgorithm: 'rsa-2048', keyBits: 2048, caValidityHours: 87600, certValidityHours: 8760 });
  });

  test('state directory beside the file; ~ expanded in the identity file', () => {
    expect(c.source.file).toBe(join(EXAMPLES, 'ha-centos7.yaml'));
    expect(c.stateDir).toBe(join(EXAMPLES, '.k8sprep', 'ha-centos7'));
    for (const h of c.hosts) expect(h.ssh).toEqual({ user: 'root', port: 22, identityFile: join(homedir(), '.ssh/id_ed25519') });
  });
});

describe('examples/mixed-bastion.yaml', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await load('mixed-bastion.yaml');
  });

  test("OS per host, a DNS endpoint for a keepalived VIP on haproxy's port, the control planes", () => {
    expect(c.hosts.map((h) => [h.name, h.address, h.os])).toEqual([
      ['m1', '172.20.0.11', 'centos7'],
      ['m2', '172.20.0.12', 'centos7'],
      ['m3', '172.20.0.13', 'centos7'],
      ['n1', '172.20.0.31', 'arch'],
      ['n2', '172.20.0.32', 'arch'],
    ]);
    expect(names(c.controlPlanes)).toEqual(['m1', 'm2', 'm3']);
    expect(names(c.workers)).toEqual(['n1', 'n2']);
    expect(c.firstControlPlane.name).toBe('m1');
    expect(c.apiEndpoint).toEqual({ host: 'k8s-api.internal.example', port: 8443 });
    expect(c.controlPlaneEndpoint).toEqual({ host: 'k8s-api.internal.example', port: 8443, loadBalancer: 'keepalived-haproxy', virtualRouterId: 51 });
    expect(c.vip).toBe('172.20.0.100');
    expect(c.endpointName).toBe('k8s-api.internal.example');
    expect(c.kubernetes.version.minorString).toBe('1.32');
    expect(c.firstServiceIp).toBe('10.96.0.1');
  });

  test('mirrors, sysctl overrides (null kept: it removes a key), certificates in hours, key bits', () => {
    expect(c.mirrors).toEqual({ packages: 'aliyun', registries: { 'docker.io': ['https://docker.m.daocloud.io'] }, binaries: 'https://dl.k8s.io' });
    expect(c.sysctl).toEqual({ 'net.core.somaxconn': 65535, 'kernel.softlockup_panic': null });
    expect(c.certificates).toEqual({ keyAlgorithm: 'rsa-4096', keyBits: 4096, caValidityHours: 876000, certValidityHours: 87600 });
  });

  test('ssh: spec defaults with the bastion on every host, password from the environment', () => {
    for (const h of c.hosts) {
      expect(h.ssh).toEqual({ user: 'ops', port: 22, passwordEnv: 'K8SPREP_SSH_PASSWORD', bastion: { host: 'jump.example.com', user: 'ops', port: 22 } });
    }
    expect(c.stateDir).toBe(join(EXAMPLES, '.k8sprep', 'mixed'));
  });
});

describe('examples/single-arch.yaml', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await load('single-arch.yaml');
  });

  test('one host that is control plane and worker; the endpoint is that host', () => {
    expect(names(c.hosts)).toEqual(['lab1']);
    expect(names(c.controlPlanes)).toEqual(['lab1']);
    expect(names(c.workers)).toEqual(['lab1']);
    expect(c.hosts[0]?.roles).toEqual(['control-plane', 'worker']);
    expect(c.hosts[0]?.os).toBe('arch');
    expect(c.controlPlaneEndpoint).toBeUndefined();
    expect(c.apiEndpoint).toEqual({ host: '10.0.0.5', port: 6443 });
    expect([c.vip, c.endpointName]).toEqual([undefined, undefined]);
    expect(c.firstServiceIp).toBe('10.96.0.1');
  });

  test('what the file sets and the defaults for the rest', () => {
    expect(c.kubernetes).toMatchObject({ proxyMode: 'iptables', cni: 'flannel', podSubnet: '10.244.0.0/16' });
    expect(c.kubernetes.version.full).toBe('1.34.2');
    expect(c.hosts[0]?.ssh).toEqual({ user: 'admin', port: 22 });
    expect(c.stateDir).toBe(join(EXAMPLES, '.k8sprep', 'lab'));
  });
});
