/**
 * The preflight step: what each host's read-only script checks per role, OS and version,
 * and (run for real on this machine, which changes nothing; the cluster's endpoint is a
 * fake HTTPS API server on this test's own loopback address) that it reports every problem
 * at once and prints the facts the cross-host checks use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, OsId } from '../../src/cluster/types.js';
import { preflightPhase } from '../../src/actions/prep.js';
import { FACTS_FUNCTION } from '../../src/steps/preflight/facts.js';
import { runBashAsync } from '../helpers/bash.js';
import { listenOnFreePort } from '../helpers/listen.js';
import { requireTool } from '../pki/tools.js';
import { FixtureRoot } from './fixture-root.js';
import { cluster, ctxFor, OSES, phaseScript, stepById, VERSIONS } from './fixtures.js';

/** Runs preflight's helpers for `host`, then `body`, in a fixture root; prints `PROBLEM <text>` per problem. */
function inRoot(r: FixtureRoot, c: Cluster, host: string, body: string, os?: OsId) {
  const helpers = stepById('preflight').helpers?.(ctxFor(c, host, os)) ?? '';
  const path = 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return r.run(['set -euo pipefail', path, helpers, body, 'for p in "${K8SPREP_PROBLEMS[@]}"; do echo "PROBLEM $p"; done'].join('\n'));
}
const problems = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('PROBLEM '))
    .map((l) => l.slice(8));

describe('what preflight checks, per role (in a fixture root)', () => {
  let root: FixtureRoot;
  beforeEach(() => {
    // One CPU, 1000 MB of memory, and every port kubeadm wants held by nginx.
    const ports = [2379, 2380, 6443, 10250, 10257, 10259];
    const ss = [
      'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
      ...ports.map((p) => `LISTEN 0 128 0.0.0.0:${p} 0.0.0.0:* users:(("nginx",pid=5,fd=6))`),
    ];
    root = new FixtureRoot({ '/tmp-meminfo': 'MemTotal:        1024000 kB\n' }, { nproc: 'echo 1', ss: `cat <<'EOF'\n${ss.join('\n')}\nEOF` });
  });
  afterEach(() => root.remove());
  const c = cluster();
  // The fake memory size is mounted over /proc/meminfo inside the root's own mount namespace.
  const FAKE_MEMORY = '/usr/bin/mount --bind /tmp-meminfo /proc/meminfo || exit 1';

  test('control planes: at least 2 CPUs and 1700 MB, and the six control-plane ports free', () => {
    const r = inRoot(root, c, 'cp1', `${FAKE_MEMORY}\nk8sprep_preflight_resources\nk8sprep_preflight_ports`);
    expect(problems(r.stdout)).toEqual([
      '1 CPU(s): a control plane needs at least 2',
      '1000 MB of memory: a control plane needs at least 1700 MB',
      ...[2379, 2380, 6443, 10250, 10257, 10259].map((p) => `port ${p}/tcp is already in use by nginx; kubeadm needs it free`),
    ]);
  });

  test('a host that is already a node (kubelet.conf, a re-run): its own components hold the ports, none is a problem', () => {
    root.write('/etc/kubernetes/kubelet.conf', { content: 'apiVersion: v1\nkind: Config\n', mode: 0o600 });
    const r = inRoot(root, c, 'cp1', 'k8sprep_preflight_ports');
    expect([r.status, problems(r.stdout)]).toEqual([0, []]);
  });

  test('workers: no resource minimum, only the kubelet port', () => {
    const r = inRoot(root, c, 'w1', `${FAKE_MEMORY}\n! declare -F k8sprep_preflight_resources || echo 'PROBLEM resources checked'\nk8sprep_preflight_ports`);
    expect(problems(r.stdout)).toEqual(['port 10250/tcp is already in use by nginx; kubeadm needs it free']);
  });

  test.each(OSES)('%s: the preflight phase is read-only and compares hosts before any host goes on', (os) => {
    expect(preflightPhase.steps.map((s) => s.id)).toEqual(['preflight']);
    expect(preflightPhase.crossHostCheck).toBeDefined();
    // Commands, not the advice in problem messages ("remove them with pacman -R ..."); yum's
    // makecache fills yum's metadata cache, which every later yum call refreshes anyway.
    const text = phaseScript(cluster({ os }), 'cp1', preflightPhase)
      .split('\n')
      .filter((l) => !l.includes('k8sprep_problem "') && !l.includes('yum -q makecache fast'))
      .join('\n');
    const changes = [
      'k8sprep_write_file /',
      'k8sprep_backup /',
      'systemctl ',
      'yum ',
      'rpm ',
      'pacman -S ',
      'pacman -S --',
      'pacman -R',
      'pacman -U',
      'install -m',
      'modprobe',
      'sysctl -w',
      'sed -i',
      'curl -X',
      ' -o "$tmp',
    ];
    for (const writes of changes) expect([writes, text.includes(writes)]).toEqual([writes, false]);
    // Reads only: pacman's databases, and downloads that go nowhere.
    expect([...text.matchAll(/pacman (-\S+)/g)].map((m) => m[1])).toEqual(os === 'arch' ? ['-Si', '-Q'] : []);
    const curls = [...text.matchAll(/curl [^\n]*/g)].map((m) => m[0]);
    expect(curls.length).toBeGreaterThan(0);
    expect(curls.filter((curl) => !curl.includes('-o /dev/null') && !curl.startsWith('curl -ks '))).toEqual([]);
  });
});

describe('OS, kernel and Kubernetes version (in a fixture root)', () => {
  const CENTOS = 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n';
  const ARCH = 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n';
  let root: FixtureRoot;
  afterEach(() => root.remove());
  /** A host with this os-release, kernel and cgroup version. */
  function host(osRelease: string, kernel: string, cgroup: 'v1' | 'v2'): FixtureRoot {
    root = new FixtureRoot(
      { '/etc/os-release': osRelease, [`/lib/modules/${kernel}/modules.dep`]: '' },
      {
        uname: `if [ "$1" = -r ]; then echo ${kernel}; else /bin/uname "$@"; fi`,
        stat: `if [ "$*" = '-fc %T /sys/fs/cgroup' ]; then echo ${cgroup === 'v2' ? 'cgroup2fs' : 'tmpfs'}; else /usr/bin/stat "$@"; fi`,
      },
    );
    return root;
  }
  const check = (c: Cluster, os?: OsId) => inRoot(root, c, 'cp1', 'k8sprep_fact() { echo "FACT $1 $2"; }\nk8sprep_preflight_os\nk8sprep_preflight_kernel', os);

  test.each(OSES)('%s: /etc/os-release must describe it', (os) => {
    host(os === 'centos7' ? ARCH : CENTOS, '6.12.10-arch1-1', 'v2');
    const want =
      os === 'centos7'
        ? 'Arch Linux (ID=arch VERSION_ID=?), not CentOS 7 (os: centos7'
        : 'CentOS Linux 7 (Core) (ID=centos VERSION_ID=7), not Arch Linux (os: arch';
    expect(problems(check(cluster({ os })).stdout)).toEqual([`this host runs ${want} for this host)`]);
  });

  test.each(VERSIONS)('%s on CentOS 7: kernel 3.10 and cgroup v1 are accepted', (version) => {
    host(CENTOS, '3.10.0-1160.119.1.el7.x86_64', 'v1');
    const r = check(cluster({ version }));
    expect(problems(r.stdout)).toEqual([]);
    expect(r.stdout).toContain('FACT cgroup v1\n');
    // kubeadm 1.32-1.34 want 4.19: said, not a problem (the kubeadm configs ignore SystemVerification there).
    expect([version, r.stderr.includes('--ignore-preflight-errors=SystemVerification')]).toEqual([version, version === '1.34.2']);
  });

  test('a CentOS 7 host detected at run time for 1.35 is refused with the reason; Arch with cgroup v2 is not', () => {
    const c = cluster({ version: '1.35.0', os: null });
    host(CENTOS, '3.10.0-1160.119.1.el7.x86_64', 'v1');
    expect(problems(check(c, 'centos7').stdout)).toEqual([
      expect.stringMatching(/^Kubernetes 1\.35\.0 cannot run on CentOS 7: from 1\.35 the kubelet refuses cgroup v1/),
      expect.stringMatching(/^kernel 3\.10\.0-1160\.119\.1\.el7\.x86_64 is older than 4\.19/),
      expect.stringMatching(/^this host has only cgroup v1, and the kubelet refuses cgroup v1 from Kubernetes 1\.35/),
    ]);
    root.remove();
    host(ARCH, '6.12.10-arch1-1', 'v2');
    expect(problems(check(c, 'arch').stdout)).toEqual([]);
  });

  test('1.32-1.34 on Arch: a kernel older than 4.19 is a problem (nothing to ignore there)', () => {
    host(ARCH, '4.14.1-arch1-1', 'v2');
    const r = check(cluster({ version: '1.34.2', os: 'arch' }));
    expect(problems(r.stdout)).toEqual(['kernel 4.14.1-arch1-1 is older than 4.19, which kubeadm 1.34 requires (SystemVerification): upgrade the kernel']);
    expect(r.stdout).not.toContain('kubeadm_ignore_preflight_errors');
  });

  test('1.35 on Arch: cgroup v1 is a problem', () => {
    host(ARCH, '6.12.10-arch1-1', 'v1');
    expect(problems(check(cluster({ version: '1.35.0', os: 'arch' })).stdout)).toEqual([
      'this host has only cgroup v1, and the kubelet refuses cgroup v1 from Kubernetes 1.35 (failCgroupV1): boot with the unified cgroup hierarchy or use Kubernetes 1.34',
    ]);
  });
});

describe('CentOS 7: the repositories prep will neither write nor repair must be readable (in a fixture root)', () => {
  const epel = '[epel]\nname=EPEL 7\nbaseurl=https://mirrors.aliyun.com/epel/7/$basearch\nenabled=1\n';
  const internal = '[internal]\nname=Internal\nbaseurl=http://repo.corp.invalid/el7/$basearch/\nenabled=1\n';
  const sclo = '[centos-sclo-rh]\nname=CentOS-7 - SCLo rh\nmirrorlist=http://mirrorlist.centos.org?arch=$basearch&release=7&repo=sclo-rh\n';
  const base = '[base]\nname=CentOS-$releasever - Base\nmirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os\n';
  /** yum makecache: fails like yum 3 for the enabled repo named in FAIL (baseurl form), else succeeds. */
  const yum = String.raw`disabled=''
for a in "$@"; do case $a in --disablerepo=*) disabled=${'$'}{a#*=} ;; esac; done
echo "$disabled" >/var/lib/fixture-disabled
fail=$(cat /var/lib/fixture-fail 2>/dev/null) || exit 0
echo "http://repo.corp.invalid/el7/x86_64/repodata/repomd.xml: [Errno 14] curl#6 - \"Could not resolve host: repo.corp.invalid; Unknown error\"" >&2
echo "Trying other mirror." >&2
echo "failure: repodata/repomd.xml from $fail: [Errno 256] No more mirrors to try." >&2
exit 1`;
  let root: FixtureRoot;
  afterEach(() => root.remove());
  const check = () => inRoot(root, cluster(), 'w1', 'k8sprep_preflight_repositories');

  test('only the retired and k8sprep-owned repositories present: nothing to read, yum not run', () => {
    root = new FixtureRoot({ '/etc/yum.repos.d/CentOS-Base.repo': base, '/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo': sclo }, { yum });
    root.hide(['yum']);
    expect(problems(check().stdout)).toEqual([]);
    expect(root.callsOf('yum')).toEqual([]);
  });

  test('the others are read, the ones prep rewrites left out; a failing one is named with its file', () => {
    root = new FixtureRoot(
      {
        '/etc/yum.repos.d/CentOS-Base.repo': base,
        '/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo': sclo,
        '/etc/yum.repos.d/epel.repo': epel,
        '/etc/yum.repos.d/internal.repo': internal,
        '/var/lib/fixture-fail': 'internal',
      },
      { yum },
    );
    expect(problems(check().stdout)).toEqual([
      'yum cannot read repository internal (/etc/yum.repos.d/internal.repo): http://repo.corp.invalid/el7/x86_64/repodata/repomd.xml: [Errno 14] curl#6 - "Could not resolve host: repo.corp.invalid; Unknown error"; fix its baseurl or set enabled=0 there, then run again',
    ]);
    expect(root.callsOf('yum')).toEqual([['-q', 'makecache', 'fast', '--disablerepo=base,centos-sclo-rh']]);
  });

  test('yum that does not finish in time: the repositories it was reading are named', () => {
    root = new FixtureRoot({ '/etc/yum.repos.d/epel.repo': epel, '/etc/yum.repos.d/internal.repo': internal }, { yum, timeout: 'exit 124' });
    expect(problems(check().stdout)).toEqual([
      'yum could not read the repositories epel internal within 60 s: one of them does not answer; fix it or set enabled=0 in its file under /etc/yum.repos.d, then run again',
    ]);
  });
});

describe('facts', () => {
  test("hostname, machine-id, the machine's MACs but no virtual interface's (calico's shared ee:ee:.., bridges, veths), and the clock last", () => {
    // A network namespace of its own, with a real interface and the kinds that are not the machine's.
    const links = [
      'eth9 address 52:54:00:00:00:09',
      'cali1a2b address ee:ee:ee:ee:ee:ee',
      'cni0 address 0a:58:0a:f4:00:01',
      'flannel.1 address 0a:58:0a:f4:00:02',
      'kube-ipvs0 address 0a:58:0a:f4:00:03',
    ];
    // veth pairs (what this machine's kernel surely has): each one's peer is a veth* itself.
    const setup = links
      .map((l, i) => `ip link add ${l.split(' ')[0]} type veth peer name veth${i} && ip link set ${l.split(' ')[0]} ${l.split(' ').slice(1).join(' ')}`)
      .join(' && ');
    const script = [
      'set -euo pipefail',
      'k8sprep_fact() { echo "FACT $1 $2"; }',
      'k8sprep_problem() { echo "PROBLEM $*"; }',
      FACTS_FUNCTION,
      'k8sprep_preflight_facts',
    ].join('\n');
    const r = spawnSync('unshare', ['--mount', '--net', '--', 'bash', '-c', `mount -t sysfs sysfs /sys && ${setup} && bash -s`], {
      input: script,
      encoding: 'utf8',
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const facts = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(1));
    expect(facts.map((f) => f[0])).toEqual([
      'hostname',
      ...(facts.some((f) => f[0] === 'product_uuid') ? ['product_uuid'] : []),
      'machine_id',
      'macs',
      'clock',
    ]);
    expect(facts.find((f) => f[0] === 'macs')?.slice(1)).toEqual(['eth9=52:54:00:00:00:09']);
  });
});

/** An HTTPS "API server" on a loopback address of its own: /version answers `gitVersion`. */
interface FakeApiServer {
  port: number;
  gitVersion: string;
  /** The Authorization headers of the requests so far (none expected). */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

async function startApiServer(host: string, dir: string): Promise<FakeApiServer> {
  const openssl = requireTool('openssl');
  execFileSync(
    openssl,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kube-apiserver', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')],
    { stdio: 'ignore' },
  );
  const state = { gitVersion: 'v1.29.3', authorizations: [] as (string | undefined)[] };
  const server = createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (req, res) => {
    state.authorizations.push(req.headers.authorization);
    if (req.url !== '/version') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{\n  "major": "1",\n  "gitVersion": "${state.gitVersion}",\n  "platform": "linux/amd64"\n}`);
  });
  const port = await listenOnFreePort(server, host);
  return {
    port,
    get gitVersion() {
      return state.gitVersion;
    },
    set gitVersion(v: string) {
      state.gitVersion = v;
    },
    authorizations: state.authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('run on this machine (read-only)', () => {
  // This test's own loopback address: the cluster's endpoint, where a fake API server answers.
  const ENDPOINT = '127.0.0.72';
  let server: Server;
  let api: FakeApiServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8sprep-preflight-'));
    api = await startApiServer(ENDPOINT, dir);
    server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(10259, '127.0.0.1', resolve);
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const problemsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('k8sprep: preflight: '));

  test('every problem is reported at once, with the facts, and the step fails', async () => {
    // This machine runs Debian (not CentOS 7), a listener holds 10259, and the API server at
    // the endpoint runs 1.29.3 while the cluster asks for a 1.30.6 kubelet: three problems.
    const c = cluster({ endpoint: { host: ENDPOINT, port: api.port } });
    const r = await runBashAsync(phaseScript(c, 'cp1', preflightPhase), ['test-run']);
    expect(r.status).toBe(1);
    const problems = problemsOf(r.stderr);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^k8sprep: preflight: this host runs .* \(ID=debian VERSION_ID=\d+\), not CentOS 7 \(os: centos7 for this host\)$/),
        'k8sprep: preflight: port 10259/tcp is already in use by node; kubeadm needs it free',
        `k8sprep: preflight: the API server at https://${ENDPOINT}:${api.port}/version runs Kubernetes 1.29.3, older than kubernetes.version 1.30.6: ` +
          'a kubelet newer than the API server is never allowed. Upgrade the control plane first (kubeadm upgrade) or set kubernetes.version to 1.29.3',
      ]),
    );
    expect(r.stderr).toContain(`k8sprep: preflight found ${problems.length} problem(s) on this host; nothing was changed`);
    const facts = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('::k8sprep-fact:: '))
      .map((l) => l.split(' ')[1]);
    expect(facts).toEqual(expect.arrayContaining(['kernel', 'cgroup', 'apiserver_version', 'hostname', 'machine_id', 'macs', 'clock']));
    expect(r.stdout).toContain('::k8sprep-fact:: apiserver_version 1.29.3\n');
    expect(facts.at(-1)).toBe('clock');
    expect(r.stdout).toContain('::k8sprep:: preflight failed');
    // Anonymous: no credentials went to the endpoint.
    expect(api.authorizations.length).toBeGreaterThan(0);
    expect(api.authorizations.filter((a) => a !== undefined)).toEqual([]);
  });

  test.each([
    ['v1.30.6', 'the same version'],
    ['v1.31.0', 'a newer API server'],
  ])('an API server at %s (%s) is no problem; neither is an endpoint where nothing answers', async (gitVersion) => {
    api.gitVersion = gitVersion;
    const fine = await runBashAsync(phaseScript(cluster({ endpoint: { host: ENDPOINT, port: api.port } }), 'cp1', preflightPhase), ['test-run']);
    expect(problemsOf(fine.stderr).filter((p) => p.includes('API server'))).toEqual([]);
    expect(fine.stdout).toContain(`::k8sprep-fact:: apiserver_version ${gitVersion.slice(1)}\n`);
    const nothing = await runBashAsync(phaseScript(cluster({ endpoint: { host: ENDPOINT, port: 9 } }), 'cp1', preflightPhase), ['test-run']);
    expect(problemsOf(nothing.stderr).filter((p) => p.includes('API server'))).toEqual([]);
    expect(nothing.stdout).not.toContain('apiserver_version');
  });
});
