/** Cross-field rules and problem reporting of the loader (in-process; the CLI path is test/cli/bad-input). */
import { parseClusterText } from '../../src/cluster/load.js';
import { crossFieldProblems, salvageCrossFieldInput } from '../../src/cluster/validate.js';
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
  test('kube-vip needs an IP address, not a name', () => {
    expect(problems(file('{host: api.example.com}'))).toEqual(['c.yaml:6:32: spec.controlPlaneEndpoint.host: kube-vip needs a virtual IP address, not "api.example.com"']);
  });
  test("a VIP cannot be a host's own address (except with an external balancer)", () => {
    expect(problems(file('{host: 10.1.0.1}'))).toEqual([
      "c.yaml:6:32: spec.controlPlaneEndpoint.host: is spec.hosts[0]'s own address; a kube-vip endpoint needs a free virtual IP",
    ]);
    expect(problems(file('{host: 10.1.0.1, loadBalancer: external}'))).toEqual([]);
  });
  test('the endpoint cannot lie in the pod or service subnet', () => {
    expect(problems(file('{host: 10.96.0.10}'))).toEqual(['c.yaml:6:32: spec.controlPlaneEndpoint.host: 10.96.0.10 lies inside serviceSubnet 10.96.0.0/12']);
  });
});

test('duplicate addresses are found across IPv6 spellings and letter case', () => {
  expect(
    problems(`${HEAD}  kubernetes: {version: "1.30.6"}
  hosts:
    - {name: a, address: "fd00::1", roles: [control-plane]}
    - {name: b, address: "fd00:0:0::0:1", roles: [worker]}
    - {name: c, address: Node1.example.com, roles: [worker]}
    - {name: d, address: node1.EXAMPLE.com, roles: [worker]}
`),
  ).toEqual([
    'c.yaml:8:26: spec.hosts[1].address: duplicate address "fd00:0:0::0:1" (also spec.hosts[0])',
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
  ).toEqual([
    'c.yaml:7:40: spec.hosts[0].roles: lists a role twice',
    'c.yaml:8:26: spec.hosts[1].address: only one host can be `local`',
  ]);
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
  const file = (url: string) => `${HEAD}  kubernetes: {version: "1.30.6"}\n  mirrors: {binaries: ${url}}\n  hosts:\n    - {name: a, address: 10.1.0.1, roles: [control-plane]}\n`;
  expect(parseClusterText(file('https://files.m.daocloud.io/dl.k8s.io/'), 'c.yaml').mirrors.binaries).toBe('https://files.m.daocloud.io/dl.k8s.io');
  expect(parseClusterText(file('http://127.0.0.1:8080/k8s'), 'c.yaml').mirrors.binaries).toBe('http://127.0.0.1:8080/k8s');
  expect(problems(file('ftp://dl.k8s.io'))).toEqual(['c.yaml:6:23: spec.mirrors.binaries: "ftp://dl.k8s.io" is not an http(s) mirror URL']);
  expect(problems(file('"https://dl.k8s.io/$(reboot)"'))).toEqual(['c.yaml:6:23: spec.mirrors.binaries: "https://dl.k8s.io/$(reboot)" is not an http(s) mirror URL']);
  expect(problems(file('{url: https://dl.k8s.io}'))).toEqual(['c.yaml:6:23: spec.mirrors.binaries: expected string, received object']);
});

test('missing required fields point at the parent', () => {
  expect(problems(`${HEAD}  hosts:\n    - {name: a, roles: [control-plane]}\n`)).toEqual([
    'c.yaml:5:3: spec.kubernetes: is required (object)',
    'c.yaml:6:7: spec.hosts[0].address: is required',
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
