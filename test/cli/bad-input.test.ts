/**
 * Bad input through the built CLI (issue 2 "Bad input", DESIGN §1–§2): each problem is one
 * line `<file>:<line>:<col>: <path>: <reason>` on stderr, exit 2, no stack trace, nothing
 * contacted (the hosts point at a loopback listener that counts connections) and nothing
 * written (the working directory and HOME stay as they were).
 */
import { writeFileSync } from 'node:fs';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { allSteps } from '../../src/run/phase.js';
import { assertBuilt, type Listener, listTree, runCli, settle, startListener, tempDir } from '../helpers/cli.js';

let listener: Listener;
let work: ReturnType<typeof tempDir>;
let home: string;

beforeAll(async () => {
  assertBuilt();
  listener = await startListener('127.0.0.97');
});
afterAll(async () => {
  await listener.close();
});
beforeEach(() => {
  work = tempDir();
  home = join(work.path, 'home');
  mkdirSync(home);
});
afterEach(() => work.remove());

const HEAD = ['apiVersion: k8sprep.io/v1alpha1', 'kind: Cluster', 'metadata:', '  name: bad', 'spec:'];
const CP1 = '    - {name: cp1, address: 127.0.0.97, roles: [control-plane], os: arch}';
const W1 = '    - {name: w1, address: 127.0.0.98, roles: [worker], os: centos7}';

/** Lines 1-5 HEAD, 6 kubernetes, 7 version, then `k8s` extra lines, `spec` extra lines, ssh + port, hosts. */
function cluster(opts: { version?: string; k8s?: string[]; spec?: string[]; ssh?: string[]; hosts?: string[] } = {}): string {
  return [
    ...HEAD,
    '  kubernetes:',
    `    version: "${opts.version ?? '1.30.6'}"`,
    ...(opts.k8s ?? []),
    ...(opts.spec ?? []),
    '  ssh:',
    ...(opts.ssh ?? [`    port: ${listener.port}`]),
    '  hosts:',
    ...(opts.hosts ?? [CP1, W1]),
    '',
  ].join('\n');
}

const F = 'cluster.yaml';
/** The steps `node init` knows, as the CLI lists them (the list grows with later issues). */
const STEP_IDS = allSteps(nodeInitPhases({ prepOnly: true }))
  .map((s) => s.id)
  .join(', ');
const NAME_RULE = "(lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)";

/** Writes `text` as cluster.yaml in the temp dir and runs `args` (with `-c cluster.yaml`). */
async function run(args: string[], text?: string, encoding: BufferEncoding = 'utf8') {
  if (text !== undefined) writeFileSync(join(work.path, F), text, encoding);
  const before = listTree(work.path);
  const result = await runCli(args, { cwd: work.path, home });
  await settle();
  return { ...result, before, after: listTree(work.path) };
}

/** The contract for every bad input: exactly `expected` on stderr, exit 2, nothing contacted or written. */
async function expectRefused(args: string[], expected: string[], text?: string, encoding?: BufferEncoding): Promise<void> {
  const seen = listener.connections();
  const r = await run(args, text, encoding);
  expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual(expected);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(listener.connections()).toBe(seen);
  expect(r.after).toEqual(r.before);
  expect(r.after.some((p) => p.startsWith('.k8sprep'))).toBe(false);
  expect(listTree(home)).toEqual([]);
}

const COMMANDS: [string, string[]][] = [
  ['config validate', ['config', 'validate', '-c', F]],
  ['node init --prep-only', ['node', 'init', '--prep-only', '-c', F]],
  // Without --prep-only node init has a note to print, but only once the input is valid.
  ['node init', ['node', 'init', '-c', F]],
];

interface Case {
  name: string;
  text: () => string;
  expected: () => string[];
  /** How the text is written to the file (default utf8). */
  encoding?: BufferEncoding;
}

const CASES: Case[] = [
  {
    name: 'malformed YAML',
    text: () => [...HEAD.slice(0, 2), 'metadata: {name: bad', 'spec:', ''].join('\n'),
    expected: () => [`${F}:4:1: yaml: Flow map in block collection must be sufficiently indented and end with a }`],
  },
  {
    name: 'unknown key (typo proxyMod)',
    text: () => cluster({ k8s: ['    proxyMod: ipvs'] }),
    expected: () => [`${F}:8:5: spec.kubernetes.proxyMod: unknown key "proxyMod"`],
  },
  {
    name: 'wrong type: port: "x"',
    text: () => cluster({ ssh: ['    port: "x"'] }),
    expected: () => [`${F}:9:11: spec.ssh.port: expected number, received string`],
  },
  {
    name: 'wrong type: roles: worker',
    text: () => cluster({ hosts: [CP1, '    - {name: w1, address: 127.0.0.98, roles: worker, os: centos7}'] }),
    expected: () => [`${F}:12:46: spec.hosts[1].roles: expected array, received string`],
  },
  {
    name: 'bad IP address',
    text: () => cluster({ hosts: [CP1, '    - {name: w1, address: 10.0.0.300, roles: [worker], os: centos7}'] }),
    expected: () => [`${F}:12:27: spec.hosts[1].address: "10.0.0.300" is not an IP address or host name`],
  },
  {
    name: 'bad CIDR and host bits set',
    text: () => cluster({ k8s: ['    podSubnet: 10.244.0/16', '    serviceSubnet: 10.96.0.1/12'] }),
    expected: () => [
      `${F}:8:16: spec.kubernetes.podSubnet: "10.244.0/16" is not a CIDR like 10.244.0.0/16`,
      `${F}:9:20: spec.kubernetes.serviceSubnet: "10.96.0.1/12" has host bits set; did you mean 10.96.0.0/12?`,
    ],
  },
  {
    name: 'overlapping pod and service CIDRs',
    text: () => cluster({ k8s: ['    podSubnet: 10.96.0.0/16', '    serviceSubnet: 10.96.0.0/12'] }),
    expected: () => [`${F}:9:20: spec.kubernetes.serviceSubnet: 10.96.0.0/12 overlaps podSubnet 10.96.0.0/16`],
  },
  {
    name: 'host address inside the pod subnet',
    text: () => cluster({ k8s: ['    podSubnet: 127.0.0.96/31'] }),
    expected: () => [`${F}:12:28: spec.hosts[0].address: 127.0.0.97 lies inside podSubnet 127.0.0.96/31`],
  },
  {
    name: 'duplicate host names',
    text: () => cluster({ hosts: [CP1, '    - {name: cp1, address: 127.0.0.98, roles: [worker], os: centos7}'] }),
    expected: () => [`${F}:12:14: spec.hosts[1].name: duplicate host name "cp1" (also spec.hosts[0])`],
  },
  {
    name: 'duplicate addresses',
    text: () => cluster({ hosts: [CP1, '    - {name: w1, address: 127.0.0.97, roles: [worker], os: centos7}'] }),
    expected: () => [`${F}:12:27: spec.hosts[1].address: duplicate address "127.0.0.97" (also spec.hosts[0])`],
  },
  {
    name: 'no control plane',
    text: () => cluster({ hosts: ['    - {name: cp1, address: 127.0.0.97, roles: [worker], os: arch}', W1] }),
    expected: () => [`${F}:11:5: spec.hosts: needs at least one host with the control-plane role`],
  },
  {
    name: 'several control planes without an endpoint',
    text: () => cluster({ hosts: [CP1, '    - {name: cp2, address: 127.0.0.98, roles: [control-plane], os: arch}'] }),
    expected: () => [
      `${F}:5:1: spec.controlPlaneEndpoint: is required with 2 control planes (cp1, cp2): a virtual IP or load-balanced name for the API server`,
    ],
  },
  {
    name: 'unknown OS',
    text: () => cluster({ hosts: [CP1, '    - {name: w1, address: 127.0.0.98, roles: [worker], os: ubuntu}'] }),
    expected: () => [`${F}:12:60: spec.hosts[1].os: "ubuntu" is not a supported OS (centos7, arch)`],
  },
  {
    name: 'unsupported version 1.27.0 (one line, at the version)',
    text: () => cluster({ version: '1.27.0' }),
    expected: () => [`${F}:7:14: spec.kubernetes.version: Kubernetes 1.27.0 is not supported (k8sprep supports 1.28 and newer)`],
  },
  {
    name: 'CentOS 7 with 1.35.0 (Arch with 1.35.0 is fine)',
    text: () => cluster({ version: '1.35.0' }),
    expected: () => [
      `${F}:12:60: spec.hosts[1].os: Kubernetes 1.35.0 cannot run on CentOS 7: from 1.35 the kubelet refuses cgroup v1, and CentOS 7's 3.10 kernel has only cgroup v1 (use 1.34 or older, or another OS)`,
    ],
  },
  {
    name: 'host names with shell metacharacters',
    text: () =>
      cluster({
        hosts: [
          CP1,
          '    - {name: "w1;rm -rf /", address: 127.0.0.98, roles: [worker], os: centos7}',
          '    - {name: "$(touch /tmp/k8sprep-pwned)", address: 127.0.0.99, roles: [worker], os: arch}',
        ],
      }),
    expected: () => [
      `${F}:12:14: spec.hosts[1].name: "w1;rm -rf /" is not a valid host name ${NAME_RULE}`,
      `${F}:13:14: spec.hosts[2].name: "$(touch /tmp/k8sprep-pwned)" is not a valid host name ${NAME_RULE}`,
    ],
  },
  {
    name: 'an IPv6 host address',
    text: () => cluster({ hosts: [CP1, '    - {name: w1, address: "fd00::2", roles: [worker], os: centos7}'] }),
    expected: () => [`${F}:12:27: spec.hosts[1].address: "fd00::2": IPv6 is not supported yet (use an IPv4 address or a host name)`],
  },
  {
    name: 'an IPv6 endpoint',
    text: () => cluster({ spec: ['  controlPlaneEndpoint: {host: "::1"}'] }),
    expected: () => [`${F}:8:32: spec.controlPlaneEndpoint.host: "::1": IPv6 is not supported yet (use an IPv4 address or a host name)`],
  },
  {
    name: 'an IPv6 pod subnet with an IPv4 service subnet',
    text: () => cluster({ k8s: ['    podSubnet: "fd00:10:244::/56"', '    serviceSubnet: 10.96.0.0/12'] }),
    expected: () => [`${F}:8:16: spec.kubernetes.podSubnet: "fd00:10:244::/56": IPv6 is not supported yet (use an IPv4 CIDR)`],
  },
  {
    name: 'proxyMode nftables before Kubernetes 1.31',
    text: () => cluster({ k8s: ['    proxyMode: nftables'], hosts: [CP1] }),
    expected: () => [
      `${F}:8:16: spec.kubernetes.proxyMode: nftables needs Kubernetes 1.31 or newer (where kube-proxy's nftables mode is beta); kubernetes.version is 1.30.6 (use ipvs or iptables)`,
    ],
  },
  {
    name: 'proxyMode nftables on CentOS 7 (kernel 3.10)',
    text: () => cluster({ version: '1.31.2', k8s: ['    proxyMode: nftables'] }),
    expected: () => [
      `${F}:13:60: spec.hosts[1].os: proxyMode nftables cannot run on CentOS 7: kube-proxy's nftables mode needs kernel 5.13 or newer, and CentOS 7 has 3.10 (use ipvs or iptables, or another OS)`,
    ],
  },
  {
    name: 'kube-vip on a port other than 6443',
    text: () => cluster({ spec: ['  controlPlaneEndpoint: {host: 127.0.0.200, port: 8443}'] }),
    expected: () => [
      `${F}:8:51: spec.controlPlaneEndpoint.port: must be 6443 with kube-vip: the virtual IP leads straight to each control plane's own apiserver, which listens on 6443 (keepalived-haproxy can use another port)`,
    ],
  },
  {
    name: 'keepalived-haproxy on 6443',
    text: () => cluster({ spec: ['  controlPlaneEndpoint: {host: 127.0.0.200, port: 6443, loadBalancer: keepalived-haproxy}'] }),
    expected: () => [
      `${F}:8:51: spec.controlPlaneEndpoint.port: cannot be 6443 with keepalived-haproxy: haproxy runs on the control planes, where each apiserver listens on it (default 8443)`,
    ],
  },
  {
    name: 'an endpoint name without the VIP in address',
    text: () => cluster({ spec: ['  controlPlaneEndpoint:', '    host: api.bad.example', '    loadBalancer: keepalived-haproxy'] }),
    expected: () => [
      `${F}:9:11: spec.controlPlaneEndpoint.host: "api.bad.example" is a name: keepalived-haproxy needs the virtual IP in spec.controlPlaneEndpoint.address (or an IP address as host)`,
    ],
  },
  {
    name: 'virtualRouterId with kube-vip',
    text: () => cluster({ spec: ['  controlPlaneEndpoint: {host: 127.0.0.200, virtualRouterId: 7}'] }),
    expected: () => [`${F}:8:62: spec.controlPlaneEndpoint.virtualRouterId: is only for keepalived-haproxy (VRRP); loadBalancer is kube-vip`],
  },
  {
    name: 'a CNI manifest with cni: none',
    text: () => cluster({ k8s: ['    cni: none', `    cniManifest: {url: "http://127.0.0.1:9/calico.yaml", sha256: ${'a'.repeat(64)}}`] }),
    expected: () => [`${F}:9:18: spec.kubernetes.cniManifest: is only for cni calico or flannel; cni is none (k8sprep applies no CNI)`],
  },
  {
    name: 'binary content (a NUL in an otherwise good file)',
    text: () => cluster().replace('  hosts:', '  hosts:\u0000'),
    expected: () => [`${F}:10:9: not a YAML text file (binary content at byte ${cluster().indexOf('  hosts:') + 9})`],
  },
  {
    name: 'not UTF-8 (a Latin-1 comment)',
    text: () => `# caf\u00e9\n${cluster()}`,
    expected: () => [`${F}:1:6: not a YAML text file (binary content at byte 6)`],
    encoding: 'latin1',
  },
  {
    name: 'over 1 MiB',
    text: () => `${cluster()}${'#'.repeat(1024 * 1024)}\n`,
    expected: () => [`${F}: larger than 1 MiB, the limit for a cluster file; not read`],
  },
  {
    name: 'several problems in one file, schema and cross-field together, in file order',
    text: () =>
      [
        'apiVersion: k8sprep.io/v1alpha1',
        'kind: Cluster',
        'metadata:',
        '  name: Bad_Name',
        'spec:',
        '  kubernetes:',
        '    version: "1.30.6"',
        '    podSubnet: 10.96.0.0/16',
        '    serviceSubnet: 10.96.0.0/12',
        '    proxyMod: ipvs',
        '  ssh:',
        `    port: ${listener.port}`,
        '  hosts:',
        '    - name: cp1',
        '      address: 127.0.0.97',
        '      roles: [control-plane]',
        '      os: arch',
        '    - name: cp1',
        '      address: 10.0.0.300',
        '      roles: [worker, worker]',
        '      os: centos7',
        '      colour: blue',
        '',
      ].join('\n'),
    expected: () => [
      `${F}:4:9: metadata.name: "Bad_Name" is not a valid cluster name ${NAME_RULE}`,
      `${F}:9:20: spec.kubernetes.serviceSubnet: 10.96.0.0/12 overlaps podSubnet 10.96.0.0/16`,
      `${F}:10:5: spec.kubernetes.proxyMod: unknown key "proxyMod"`,
      `${F}:18:13: spec.hosts[1].name: duplicate host name "cp1" (also spec.hosts[0])`,
      `${F}:19:16: spec.hosts[1].address: "10.0.0.300" is not an IP address or host name`,
      `${F}:20:14: spec.hosts[1].roles: lists a role twice`,
      `${F}:22:7: spec.hosts[1].colour: unknown key "colour"`,
    ],
  },
];

describe.each(COMMANDS)('%s refuses bad cluster files', (_label, args) => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await expectRefused(args, c.expected(), c.text(), c.encoding);
  });

  test('a missing file given to -c', async () => {
    const missing = args.map((a) => (a === F ? 'nope.yaml' : a));
    await expectRefused(missing, ['--config: nope.yaml: no such file']);
  });

  test('a directory given to -c is named, relative or absolute', async () => {
    mkdirSync(join(work.path, 'conf'));
    await expectRefused(
      args.map((a) => (a === F ? 'conf' : a)),
      ['--config: conf: is a directory, not a cluster file'],
    );
    // `-c .`: relative to the working directory it is "", so the absolute path is shown.
    await expectRefused(
      args.map((a) => (a === F ? '.' : a)),
      [`--config: ${work.path}: is a directory, not a cluster file`],
    );
  });
});

test('the shell-metacharacter host names did not run', () => {
  expect(existsSync('/tmp/k8sprep-pwned')).toBe(false);
});

test('the listener does count connections (the "nothing contacted" checks can fail)', async () => {
  const { connect } = await import('node:net');
  const before = listener.connections();
  await new Promise<void>((resolve, reject) => {
    const s = connect(listener.port, listener.host, () => {
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
  await settle();
  expect(listener.connections()).toBe(before + 1);
});

describe('conflicting flags (node init --prep-only)', () => {
  const FLAG_CASES: [string, string[], string][] = [
    ['--out without --dry-run', ['--out', 'scripts'], '--out: only goes with --dry-run'],
    ['--only with --skip', ['--only', 'swap', '--skip', 'sysctl'], '--only: cannot be combined with --skip'],
    ['--host with -c', ['--host', '127.0.0.97'], '--host: cannot be combined with -c/--config'],
    ['--os without --host', ['--os', 'arch'], '--os: only goes with --host (the cluster file sets it otherwise)'],
    ['unknown step in --only', ['--only', 'swap,nope'], `--only: unknown step "nope"; steps: ${STEP_IDS}`],
    ['unknown step in --skip', ['--skip', 'swapp'], `--skip: unknown step "swapp"; steps: ${STEP_IDS}`],
    ['unknown host in --hosts', ['--hosts', 'cp1,zz'], '--hosts: no host named "zz" in the cluster (hosts: cp1, w1)'],
    ['--json with --dry-run', ['--json', '--dry-run'], '--json: cannot be combined with --dry-run (the dry run prints scripts)'],
    ['an unknown flag', ['--bogus'], '--bogus: unknown flag (see --help)'],
    ['--concurrency 0', ['--concurrency', '0'], '--concurrency: expected an integer greater than or equal to 1 but received: 0'],
    ['--concurrency abc', ['--concurrency', 'abc'], '--concurrency: expected an integer but received: abc'],
    ['--concurrency 501', ['--concurrency=501'], '--concurrency: expected an integer less than or equal to 500 but received: 501'],
    ['--out without a value (last)', ['--dry-run', '--out'], '--out: needs a value'],
    ['--out followed by another flag', ['--out', '--dry-run'], '--out: needs a value'],
    ['-c given twice', ['-c', F], '--config: is given more than once'],
    ['a stray argument', ['extra'], '"extra": unexpected argument: this command takes flags only (see --help)'],
    ['--skip os-release (a guard)', ['--skip', 'os-release'], '--skip: os-release always runs: it stops a script rendered for one OS from running on another'],
  ];
  test.each(FLAG_CASES)('%s', async (_name, extra, line) => {
    await expectRefused(['node', 'init', '--prep-only', '-c', F, ...extra], [line], cluster());
  });

  test('two unknown flags: one line each', async () => {
    await expectRefused(
      ['node', 'init', '--prep-only', '-c', F, '--bogus', '--nope=1'],
      ['--bogus: unknown flag (see --help)', '--nope: unknown flag (see --help)'],
      cluster(),
    );
  });

  test("a value outside --os's choices", async () => {
    await expectRefused(
      ['node', 'init', '--prep-only', '--host', '127.0.0.97', '--os', 'ubuntu', '--version', '1.30.6'],
      ['--os: "ubuntu" is not one of centos7, arch'],
    );
  });

  test('--host without -c still needs --os and --version', async () => {
    await expectRefused(['node', 'init', '--prep-only', '--host', '127.0.0.97'], ['--host: needs --os and --version']);
  });

  test('a flag that needs another (oclif dependsOn): one line naming both', async () => {
    await expectRefused(['certs', 'renew', '-c', F, '--show-secrets'], ['--show-secrets: needs --dry-run'], cluster());
  });

  test('an IPv6 --host is refused against the flag', async () => {
    await expectRefused(
      ['node', 'init', '--prep-only', '--host', 'fd00::1', '--os', 'arch', '--version', '1.30.6'],
      ['--host: "fd00::1": IPv6 is not supported yet (use an IPv4 address or a host name)'],
    );
  });

  test('a bad --host address is reported against the flag', async () => {
    await expectRefused(
      ['node', 'init', '--prep-only', '--host', '10.0.0.300', '--os', 'arch', '--version', '1.30.6'],
      ['--host: "10.0.0.300" is not an IP address or host name'],
    );
  });
});

describe('identity files', () => {
  const text = () =>
    cluster({
      ssh: [`    port: ${listener.port}`, '    identityFile: /nonexistent/k8sprep-test-key'],
      hosts: [CP1, '    - {name: w1, address: 127.0.0.98, roles: [worker], os: centos7, ssh: {identityFile: ~/missing-key}}'],
    });

  test('a missing identity file stops a real run (exit 2, located where it is written)', async () => {
    await expectRefused(
      ['node', 'init', '--prep-only', '-c', F],
      [
        `${F}:10:19: spec.hosts[0].ssh.identityFile: /nonexistent/k8sprep-test-key: no such file (from spec.ssh.identityFile)`,
        `${F}:13:89: spec.hosts[1].ssh.identityFile: ${home}/missing-key: no such file`,
      ],
      text(),
    );
  });

  test('--hosts limits the check to the selected hosts', async () => {
    await expectRefused(
      ['node', 'init', '--prep-only', '-c', F, '--hosts', 'w1'],
      [`${F}:13:89: spec.hosts[1].ssh.identityFile: ${home}/missing-key: no such file`],
      text(),
    );
  });

  test('but not a dry run: it prints the scripts, contacts nothing, writes nothing', async () => {
    const seen = listener.connections();
    const r = await run(['node', 'init', '--prep-only', '--dry-run', '-c', F], text());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const headers = r.stdout.split('\n').filter((l) => l.startsWith('# k8sprep host='));
    const phaseIds = nodeInitPhases({ prepOnly: true }).map((p) => p.id);
    expect(headers).toEqual([
      ...phaseIds.map((id) => `# k8sprep host=cp1 address=127.0.0.97 phase=${id}`),
      ...phaseIds.map((id) => `# k8sprep host=w1 address=127.0.0.98 phase=${id}`),
    ]);
    expect(headers).toContain('# k8sprep host=w1 address=127.0.0.98 phase=prep');
    expect(listener.connections()).toBe(seen);
    expect(r.after).toEqual(r.before);
  });

  test('node init without --prep-only: the note comes once the input is valid, alone on stderr', async () => {
    const r = await run(['node', 'init', '--dry-run', '-c', F], text());
    expect(r.code).toBe(0);
    // The dry run makes the local state too (so its join commands are the real ones), and says so.
    expect(r.stderr).toMatch(/^note: local state in \S+\/\.k8sprep\/bad \(PKI, bootstrap token\) is ready before any host is contacted: made \d+ file\(s\)\n$/);
    expect(r.stdout).toMatch(/^# k8sprep host=cp1 /);
  });

  test('config validate does not need the identity file either', async () => {
    const r = await run(['config', 'validate', '-c', F], text());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: cluster bad, /);
  });
});
