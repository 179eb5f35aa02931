/** Cross-field rules and problem reporting of the loader (in-process; the CLI path is test/cli/bad-input). */
import { parseClusterText } from '../../src/cluster/load.js';
import { salvageCrossFieldInput } from '../../src/cluster/salvage.js';
import { crossFieldProblems } from '../../src/cluster/validate.js';
import { InputError } from '../../src/errors.js';

function problems(text: string): string[] {
  try {
    parseClusterText(text, 'c.yaml');
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.message.split('\n');
    throw err;
  }
}

const HEAD = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: c}
spec:
`;

test('two control planes with an endpoint pass', () => {
  expect(
    problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  controlPlaneEndpoint: {host: 10.1.0.100}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
    - {name: b, address: 10.1.0.2, roles: [control-plane, worker]}
`),
  ).toEqual([]);
});

describe('the control-plane endpoint', () => {
  const file = (endpoint: string) => `${HEAD}  kubernetes: {version: "1.30.6"}
  controlPlaneEndpoint: ${endpoint}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
    - {name: b, address: 10.1.0.2, roles: [control-plane]}
`;
  test('kube-vip and keepalived-haproxy with a name need the VIP in address: one line naming both fields', () => {
    expect(problems(file('{host: api.example.com}'))).toEqual([
      'c.yaml:6:32: spec.controlPlaneEndpoint.host: "api.example.com" is a name: kube-vip needs the virtual IP in spec.controlPlaneEndpoint.address (or an IP address as host)',
    ]);
    expect(problems(file('{host: api.example.com, loadBalancer: keepalived-haproxy}'))).toEqual([
      'c.yaml:6:32: spec.controlPlaneEndpoint.host: "api.example.com" is a name: keepalived-haproxy needs the virtual IP in spec.controlPlaneEndpoint.address (or an IP address as host)',
    ]);
    expect(problems(file('{host: api.example.com, address: 10.1.0.100}'))).toEqual([]);
    expect(problems(file('{host: api.example.com, loadBalancer: external}'))).toEqual([]);
  });
  test('address is an IPv4 address, equal to host when host is one, and not for an external balancer', () => {
    expect(problems(file('{host: api.example.com, address: vip.example.com}'))).toEqual([
      'c.yaml:6:58: spec.controlPlaneEndpoint.address: "vip.example.com" is not an IP address (the virtual IP is announced on the network, a name cannot be)',
    ]);
    expect(problems(file('{host: 10.1.0.100, address: 10.1.0.101}'))).toEqual([
      'c.yaml:6:53: spec.controlPlaneEndpoint.address: differs from host 10.1.0.100: when host is an IP address it is the virtual IP (leave address out)',
    ]);
    expect(problems(file('{host: 10.1.0.100, address: 10.1.0.100}'))).toEqual([]);
    expect(problems(file('{host: api.example.com, address: 10.1.0.100, loadBalancer: external}'))).toEqual([
      'c.yaml:6:58: spec.controlPlaneEndpoint.address: is only for kube-vip and keepalived-haproxy: k8sprep announces no virtual IP for an external load balancer',
    ]);
  });
  test("a VIP cannot be a host's own address (except with an external balancer), wherever it is written", () => {
    expect(problems(file('{host: 10.1.0.1}'))).toEqual([
      "c.yaml:6:32: spec.controlPlaneEndpoint.host: is spec.hosts[0]'s own address; a kube-vip endpoint needs a free virtual IP",
    ]);
    expect(problems(file('{host: api.example.com, address: 10.1.0.2, loadBalancer: keepalived-haproxy}'))).toEqual([
      "c.yaml:6:58: spec.controlPlaneEndpoint.address: is spec.hosts[1]'s own address; a keepalived-haproxy endpoint needs a free virtual IP",
    ]);
    expect(problems(file('{host: 10.1.0.1, loadBalancer: external}'))).toEqual([]);
  });
  test('the endpoint cannot lie in the pod or service subnet', () => {
    expect(problems(file('{host: 10.96.0.10}'))).toEqual(['c.yaml:6:32: spec.controlPlaneEndpoint.host: 10.96.0.10 lies inside serviceSubnet 10.96.0.0/12']);
    expect(problems(file('{host: api.example.com, address: 10.244.1.1}'))).toEqual([
      'c.yaml:6:58: spec.controlPlaneEndpoint.address: 10.244.1.1 lies inside podSubnet 10.244.0.0/16',
    ]);
  });
  test('kube-vip is on 6443 only; keepalived-haproxy never on a port the control planes use; external on any', () => {
    expect(problems(file('{host: 10.1.0.100, port: 8443}'))).toEqual([
      "c.yaml:6:50: spec.controlPlaneEndpoint.port: must be 6443 with kube-vip: the virtual IP leads straight to each control plane's own apiserver, which listens on 6443 (keepalived-haproxy can use another port)",
    ]);
    expect(problems(file('{host: 10.1.0.100, port: 6443, loadBalancer: keepalived-haproxy}'))).toEqual([
      'c.yaml:6:50: spec.controlPlaneEndpoint.port: cannot be 6443 with keepalived-haproxy: haproxy runs on the control planes, where each apiserver listens on it (default 8443)',
    ]);
    expect(problems(file('{host: 10.1.0.100, port: 10250, loadBalancer: keepalived-haproxy}'))).toEqual([
      'c.yaml:6:50: spec.controlPlaneEndpoint.port: cannot be 10250 with keepalived-haproxy: haproxy runs on the control planes, where the kubelet listens on it (default 8443)',
    ]);
    expect(problems(file('{host: 10.1.0.100, port: 9443, loadBalancer: keepalived-haproxy}'))).toEqual([]);
    expect(problems(file('{host: 10.1.0.100, port: 443, loadBalancer: external}'))).toEqual([]);
  });
  test('virtualRouterId: keepalived-haproxy only, 1-255', () => {
    expect(problems(file('{host: 10.1.0.100, virtualRouterId: 7}'))).toEqual([
      'c.yaml:6:61: spec.controlPlaneEndpoint.virtualRouterId: is only for keepalived-haproxy (VRRP); loadBalancer is kube-vip',
    ]);
    expect(problems(file('{host: 10.1.0.100, loadBalancer: keepalived-haproxy, virtualRouterId: 0}'))).toEqual([
      'c.yaml:6:95: spec.controlPlaneEndpoint.virtualRouterId: 0 is not a VRRP virtual router id (an integer 1-255)',
    ]);
    expect(problems(file('{host: 10.1.0.100, loadBalancer: keepalived-haproxy, virtualRouterId: 1.5}'))).toEqual([
      'c.yaml:6:95: spec.controlPlaneEndpoint.virtualRouterId: 1.5 is not a VRRP virtual router id (an integer 1-255)',
    ]);
    expect(problems(file('{host: 10.1.0.100, loadBalancer: keepalived-haproxy, virtualRouterId: 256}'))).toEqual([
      'c.yaml:6:95: spec.controlPlaneEndpoint.virtualRouterId: 256 is not a VRRP virtual router id (an integer 1-255)',
    ]);
  });
});

describe('IPv6 is refused, one line each, until dual-stack is supported', () => {
  test('host addresses, the endpoint host and address, the pod and service subnets', () => {
    expect(
      problems(`${HEAD}  kubernetes: {version: "1.30.6", podSubnet: "fd00:10:244::/56", serviceSubnet: "fd00:10:96::/112"}
  controlPlaneEndpoint: {host: "::1"}
  hosts:
    - {name: a, address: "fd00::1", roles: [control-plane]}
    - {name: b, address: "fd00:0:0::0:1", roles: [control-plane]}
`),
    ).toEqual([
      'c.yaml:5:46: spec.kubernetes.podSubnet: "fd00:10:244::/56": IPv6 is not supported yet (use an IPv4 CIDR)',
      'c.yaml:5:81: spec.kubernetes.serviceSubnet: "fd00:10:96::/112": IPv6 is not supported yet (use an IPv4 CIDR)',
      'c.yaml:6:32: spec.controlPlaneEndpoint.host: "::1": IPv6 is not supported yet (use an IPv4 address or a host name)',
      'c.yaml:8:26: spec.hosts[0].address: "fd00::1": IPv6 is not supported yet (use an IPv4 address or a host name)',
      'c.yaml:9:26: spec.hosts[1].address: "fd00:0:0::0:1": IPv6 is not supported yet (use an IPv4 address or a host name)',
    ]);
    expect(
      problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  controlPlaneEndpoint: {host: api.example.com, address: "fd00::100"}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
`),
    ).toEqual(['c.yaml:6:58: spec.controlPlaneEndpoint.address: "fd00::100": IPv6 is not supported yet (use an IPv4 address)']);
  });

  test('an IPv6 bastion is fine: only the SSH client on this machine uses it', () => {
    expect(
      problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  ssh: {bastion: {host: "fd00::254"}}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
`),
    ).toEqual([]);
  });
});

describe('proxyMode nftables', () => {
  const file = (version: string, os: string) => `${HEAD}  kubernetes: {version: "${version}", proxyMode: nftables}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]${os}}
    - {name: b, address: 10.1.0.2, roles: [worker], os: arch}
`;
  test('refused below Kubernetes 1.31, at proxyMode', () => {
    expect(problems(file('1.30.6', ''))).toEqual([
      "c.yaml:5:46: spec.kubernetes.proxyMode: nftables needs Kubernetes 1.31 or newer (where kube-proxy's nftables mode is beta); kubernetes.version is 1.30.6 (use ipvs or iptables)",
    ]);
  });
  test("refused on a declared CentOS 7 (kernel 3.10), at that host's os", () => {
    expect(problems(file('1.31.2', ', os: centos7'))).toEqual([
      "c.yaml:7:64: spec.hosts[0].os: proxyMode nftables cannot run on CentOS 7: kube-proxy's nftables mode needs kernel 5.13 or newer, and CentOS 7 has 3.10 (use ipvs or iptables, or another OS)",
    ]);
  });
  test('fine from 1.31 on Arch or an undeclared OS (preflight knows the kernel then)', () => {
    expect(problems(file('1.31.2', ''))).toEqual([]);
    expect(problems(file('1.34.2', ', os: arch'))).toEqual([]);
  });
});

describe('the CNI manifest override', () => {
  const file = (k8s: string) => `${HEAD}  kubernetes: {version: "1.30.6", ${k8s}}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
`;
  const SUM = 'a'.repeat(64);
  test('url and sha256 are both required, in their shapes', () => {
    expect(problems(file(`cniManifest: {url: "https://127.0.0.1/calico.yaml", sha256: ${SUM}}`))).toEqual([]);
    expect(problems(file('cniManifest: {url: "https://127.0.0.1/calico.yaml"}'))).toEqual([
      'c.yaml:5:48: spec.kubernetes.cniManifest.sha256: is required (string)',
    ]);
    expect(problems(file(`cniManifest: {url: "https://127.0.0.1/", sha256: "${SUM}x"}`))).toEqual([
      'c.yaml:5:54: spec.kubernetes.cniManifest.url: "https://127.0.0.1/" is not an http(s) URL of a file',
      `c.yaml:5:84: spec.kubernetes.cniManifest.sha256: "${SUM}x" is not a SHA-256 checksum (64 hexadecimal digits)`,
    ]);
    expect(problems(file(`cniManifest: {url: "https://x.example/a.yaml?$(reboot)", sha256: ${SUM}}`))).toEqual([
      'c.yaml:5:54: spec.kubernetes.cniManifest.url: "https://x.example/a.yaml?$(reboot)" is not an http(s) URL of a file',
    ]);
  });
  test('refused with cni: none (nothing would apply it)', () => {
    expect(problems(file(`cni: none, cniManifest: {url: "https://127.0.0.1/calico.yaml", sha256: ${SUM}}`))).toEqual([
      'c.yaml:5:59: spec.kubernetes.cniManifest: is only for cni calico or flannel; cni is none (k8sprep applies no CNI)',
    ]);
  });
});

test('mirrors.manifests: an http(s) URL prefix', () => {
  const file = (url: string) =>
    `${HEAD}  kubernetes: {version: "1.30.6"}\n  mirrors: {manifests: ${url}}\n  hosts:\n    - {name: a, address: 10.1.0.1, roles: [control-plane]}\n`;
  expect(problems(file('https://files.m.daocloud.io'))).toEqual([]);
  expect(problems(file('"https://files.example/$(reboot)"'))).toEqual([
    'c.yaml:6:24: spec.mirrors.manifests: "https://files.example/$(reboot)" is not an http(s) mirror URL',
  ]);
});

test('duplicate addresses are found across letter case', () => {
  expect(
    problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
    - {name: b, address: 10.1.0.1, roles: [worker]}
    - {name: c, address: Node1.example.com, roles: [worker]}
    - {name: d, address: node1.EXAMPLE.com, roles: [worker]}
`),
  ).toEqual([
    'c.yaml:8:26: spec.hosts[1].address: duplicate address "10.1.0.1" (also spec.hosts[0])',
    'c.yaml:10:26: spec.hosts[3].address: duplicate address "node1.EXAMPLE.com" (also spec.hosts[2])',
  ]);
});

test('only one host can be local; a role listed twice', () => {
  expect(
    problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  hosts:
    - {name: a, address: local, roles: [control-plane, control-plane]}
    - {name: b, address: local, roles: [worker]}
`),
  ).toEqual(['c.yaml:7:40: spec.hosts[0].roles: lists a role twice', 'c.yaml:8:26: spec.hosts[1].address: only one host can be `local`']);
});

test('bad record keys are reported at the key with the value', () => {
  expect(
    problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  mirrors:
    registries:
      "docker.io;x": [https://m.example.com]
  sysctl:
    "net.core.x y": 1
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane]}
`),
  ).toEqual([
    'c.yaml:8:7: spec.mirrors.registries.docker.io;x: "docker.io;x" is not a registry host',
    'c.yaml:10:5: spec.sysctl.net.core.x y: "net.core.x y" is not a sysctl key',
  ]);
});

test('mirrors.binaries: an http(s) URL base, trailing slash dropped; anything else is reported at the value', () => {
  const file = (url: string) =>
    `${HEAD}  kubernetes: {version: "1.30.6"}\n  mirrors: {binaries: ${url}}\n  hosts:\n    - {name: a, address: 10.1.0.1, roles: [control-plane]}\n`;
  expect(parseClusterText(file('https://files.m.daocloud.io/dl.k8s.io/'), 'c.yaml').mirrors.binaries).toBe('https://files.m.daocloud.io/dl.k8s.io');
  expect(parseClusterText(file('http://127.0.0.1:8080/k8s'), 'c.yaml').mirrors.binaries).toBe('http://127.0.0.1:8080/k8s');
  expect(problems(file('ftp://dl.k8s.io'))).toEqual(['c.yaml:6:23: spec.mirrors.binaries: "ftp://dl.k8s.io" is not an http(s) mirror URL']);
  expect(problems(file('"https://dl.k8s.io/$(reboot)"'))).toEqual([
    'c.yaml:6:23: spec.mirrors.binaries: "https://dl.k8s.io/$(reboot)" is not an http(s) mirror URL',
  ]);
  expect(problems(file('{url: https://dl.k8s.io}'))).toEqual(['c.yaml:6:23: spec.mirrors.binaries: expected string, received object']);
});

test('missing required fields point at the parent', () => {
  expect(problems(`${HEAD}  hosts:\n    - {name: a, roles: [control-plane]}\n`)).toEqual([
    'c.yaml:5:3: spec.kubernetes: is required (object)',
    'c.yaml:6:7: spec.hosts[0].address: is required (string)',
  ]);
  expect(problems('')).toEqual(['c.yaml:1:1: (root): expected object, received null']);
  expect(problems(`${HEAD}  kubernetes: {version: "1.30.6"}\n  hosts: []\n`)).toEqual(['c.yaml:6:10: spec.hosts: needs at least one host']);
});

test('YAML-level problems: duplicate keys, several documents, an alias bomb', () => {
  expect(problems(`${HEAD}  kubernetes: {version: "1.30.6"}\n  kubernetes: {version: "1.31.0"}\n`)).toEqual(['c.yaml:6:3: yaml: Map keys must be unique']);
  expect(problems('a: 1\n---\nb: 2\n')).toEqual(['c.yaml:2:1: yaml: holds more than one YAML document (---); a cluster file is one document']);
  let bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1, prev = 'a'; i < 8; prev = `b${i}`, i++) bomb += `b${i}: &b${i} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
  expect(problems(bomb)).toEqual(['c.yaml:1:1: yaml: too many alias (*name) references']);
});

describe('salvage: cross-field rules also run when the schema failed', () => {
  test('only values that pass their own schema are used', () => {
    const input = salvageCrossFieldInput({
      spec: {
        kubernetes: { version: '1.30', podSubnet: 10, serviceSubnet: '10.96.0.0/12' },
        hosts: [{ name: 'a', address: '10.0.0.300', roles: 'worker', os: 'arch' }, 'junk'],
      },
    });
    expect(input).toEqual({ spec: { kubernetes: { serviceSubnet: '10.96.0.0/12' }, hosts: [{ name: 'a', os: 'arch' }, {}] } });
    // Unknown roles: "no control plane" would be a guess, so it is not reported.
    expect(crossFieldProblems(input)).toEqual([]);
  });

  test('nothing usable: no problems invented', () => {
    expect(crossFieldProblems(salvageCrossFieldInput(null))).toEqual([]);
    expect(crossFieldProblems(salvageCrossFieldInput({ spec: { hosts: 3 } }))).toEqual([]);
  });

  test('a present but broken endpoint counts as present', () => {
    const input = salvageCrossFieldInput({
      spec: { controlPlaneEndpoint: { host: 'x;y' }, hosts: [{ roles: ['control-plane'] }, { roles: ['control-plane'] }] },
    });
    expect(crossFieldProblems(input)).toEqual([]);
  });
});
