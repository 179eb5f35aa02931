/**
 * The preflight step: what each host's read-only script checks per role, OS and version,
 * and (run for real on this machine, which changes nothing; the cluster's endpoint is a
 * fake HTTPS API server on this test's own loopback address) that it reports every problem
 * at once and prints the facts the cross-host checks use.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preflightPhase } from '../../src/actions/prep.js';
import { runBashAsync } from '../helpers/bash.js';
import { listenOnFreePort } from '../helpers/listen.js';
import { requireTool } from '../pki/tools.js';
import { cluster, functionBody, OSES, phaseScript, stepText, VERSIONS } from './fixtures.js';

describe('what preflight checks, per role', () => {
  const c = cluster();
  test('control planes: OS, CPUs and memory, the six control-plane ports, kernel, facts', () => {
    const text = stepText(c, 'cp1', 'preflight');
    expect(functionBody(text, 'k8sprep_step_preflight_check').split('\n')).toEqual([
      'K8SPREP_PROBLEMS=()',
      'k8sprep_preflight_os',
      'k8sprep_preflight_resources',
      'k8sprep_preflight_ports',
      'k8sprep_preflight_kernel',
      'k8sprep_preflight_apiserver_version',
      'k8sprep_preflight_facts',
      '[ "${#K8SPREP_PROBLEMS[@]}" -eq 0 ]',
    ]);
    expect(text).toContain('[ "$cpus" -ge 2 ]');
    expect(text).toContain('[ "$memory" -ge 1700 ]');
    const ports = [...functionBody(text, 'k8sprep_preflight_ports').matchAll(/k8sprep_port_free (\d+)/g)].map((m) => Number(m[1]));
    expect(ports).toEqual([2379, 2380, 6443, 10250, 10257, 10259]);
  });

  test('workers: no resource minimum, only the kubelet port', () => {
    const text = stepText(c, 'w1', 'preflight');
    expect(text).not.toContain('k8sprep_preflight_resources');
    const ports = [...functionBody(text, 'k8sprep_preflight_ports').matchAll(/k8sprep_port_free (\d+)/g)].map((m) => Number(m[1]));
    expect(ports).toEqual([10250]);
  });

  test("a port held by the node's own Kubernetes (a second run after kubeadm) is not a problem", () => {
    expect(stepText(c, 'cp1', 'preflight')).toContain('kube-apiserver | etcd | kubelet | kube-controller* | kube-scheduler) ;;');
  });

  test('apply changes nothing: it prints every collected problem and fails', () => {
    const apply = functionBody(stepText(c, 'cp1', 'preflight'), 'k8sprep_step_preflight_apply');
    expect(apply).toBe(
      "printf 'k8sprep: preflight: %s\\n' \"${K8SPREP_PROBLEMS[@]}\" >&2\n" +
        'k8sprep_die "preflight found ${#K8SPREP_PROBLEMS[@]} problem(s) on this host; nothing was changed"',
    );
  });

  test.each(OSES)('%s: the preflight phase is read-only and compares hosts before any host goes on', (os) => {
    expect(preflightPhase.steps.map((s) => s.id)).toEqual(['preflight']);
    expect(preflightPhase.crossHostCheck).toBeDefined();
    // Commands, not the advice in problem messages ("remove them with pacman -R ...").
    const text = phaseScript(cluster({ os }), 'cp1', preflightPhase)
      .split('\n')
      .filter((l) => !l.includes('k8sprep_problem "'))
      .join('\n');
    const changes = ['k8sprep_write_file /', 'k8sprep_backup /', 'systemctl ', 'yum ', 'rpm ', 'pacman -S ', 'pacman -S --', 'pacman -R', 'pacman -U', 'install -m', 'modprobe', 'sysctl -w', 'sed -i', 'curl -X', ' -o "$tmp'];
    for (const writes of changes) expect([writes, text.includes(writes)]).toEqual([writes, false]);
    // Reads only: pacman's databases, and downloads that go nowhere.
    expect([...text.matchAll(/pacman (-\S+)/g)].map((m) => m[1])).toEqual(os === 'arch' ? ['-Si', '-Q'] : []);
    expect([...text.matchAll(/curl [^\n]*/g)].every((m) => m[0].includes('-o /dev/null') || m[0].startsWith('curl -ks '))).toBe(true);
  });

  test('Arch: preflight decides pacman or release binaries before anything changes; CentOS needs no such check', () => {
    expect(functionBody(stepText(cluster({ os: 'arch' }), 'w1', 'preflight'), 'k8sprep_step_preflight_check')).toContain(
      'k8sprep_preflight_apiserver_version\nk8sprep_preflight_kubernetes_source\nk8sprep_preflight_facts',
    );
    expect(stepText(cluster(), 'w1', 'preflight')).not.toContain('k8sprep_preflight_kubernetes_source');
  });
});

describe('OS and Kubernetes version', () => {
  test.each(OSES)('%s: /etc/os-release must describe it', (os) => {
    const text = functionBody(stepText(cluster({ os }), 'cp1', 'preflight'), 'k8sprep_preflight_os');
    expect(text).toContain(os === 'centos7' ? '[ "${ID:-}" = centos ] && [ "${VERSION_ID:-}" = 7 ]' : '[ "${ID:-}" = arch ]');
    expect(text).toContain(`not ${os === 'centos7' ? 'CentOS 7' : 'Arch Linux'} (os: ${os} for this host)`);
  });

  test('a CentOS 7 host detected at run time for 1.35 is refused with the reason', () => {
    const c = cluster({ version: '1.35.0', os: null });
    const text = functionBody(stepText(c, 'cp1', 'preflight', 'centos7'), 'k8sprep_preflight_os');
    expect(text).toContain("k8sprep_problem 'Kubernetes 1.35.0 cannot run on CentOS 7: from 1.35 the kubelet refuses cgroup v1");
    // The same cluster on Arch has no such refusal.
    expect(functionBody(stepText(c, 'cp1', 'preflight', 'arch'), 'k8sprep_preflight_os')).not.toContain('cannot run');
  });

  test.each(VERSIONS)('%s on CentOS 7: kernel 3.10 and cgroup v1 are accepted', (version) => {
    const kernel = functionBody(stepText(cluster({ version }), 'cp1', 'preflight'), 'k8sprep_preflight_kernel');
    expect(kernel).toContain('k8sprep_fact cgroup "$cgroup"');
    expect(kernel).not.toContain('cgroup v1, and the kubelet refuses');
    if (version === '1.34.2') {
      // kubeadm 1.32-1.34 want 4.19: a note (the kubeadm configs ignore SystemVerification), not a problem.
      expect(kernel).toContain('--ignore-preflight-errors=SystemVerification');
      expect(kernel).not.toContain('upgrade the kernel');
    } else {
      expect(kernel).not.toContain('4.19');
    }
  });

  test('1.32-1.34 on Arch: a kernel older than 4.19 is a problem (nothing to ignore there)', () => {
    const kernel = functionBody(stepText(cluster({ version: '1.34.2', os: 'arch' }), 'cp1', 'preflight'), 'k8sprep_preflight_kernel');
    expect(kernel).toContain('older than 4.19, which kubeadm 1.34 requires (SystemVerification): upgrade the kernel');
    expect(kernel).not.toContain('kubeadm_ignore_preflight_errors');
  });

  test('1.35 on Arch: cgroup v1 is a problem', () => {
    const kernel = functionBody(stepText(cluster({ version: '1.35.0', os: 'arch' }), 'cp1', 'preflight'), 'k8sprep_preflight_kernel');
    expect(kernel).toContain('[ "$cgroup" = v2 ] || k8sprep_problem "this host has only cgroup v1');
  });
});

describe('facts', () => {
  const facts = functionBody(stepText(cluster(), 'w1', 'preflight'), 'k8sprep_preflight_facts');
  test('hostname, product_uuid (only when readable), machine-id, MACs, and the clock last', () => {
    const keys = [...facts.matchAll(/k8sprep_fact (\w+)/g)].map((m) => m[1]);
    expect(keys).toEqual(['hostname', 'product_uuid', 'machine_id', 'macs', 'clock']);
    expect(facts).toContain('if [ -n "$uuid" ]; then k8sprep_fact product_uuid "$uuid"; fi');
    expect(facts.trim().split('\n').at(-1)?.trim()).toBe('k8sprep_fact clock "$(date +%s)"');
  });
  test("virtual interfaces (calico's shared ee:ee:.. MAC, bridges, veths) are not the machine's", () => {
    expect(facts).toMatch(/case \$name in lo \| cali\* \| tunl\* .*veth\*\) continue ;; esac/);
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
  execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kube-apiserver', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
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
    const facts = r.stdout.split('\n').filter((l) => l.startsWith('::k8sprep-fact:: ')).map((l) => l.split(' ')[1]);
    expect(facts).toEqual(expect.arrayContaining(['kernel', 'cgroup', 'apiserver_version', 'hostname', 'machine_id', 'macs', 'clock']));
    expect(r.stdout).toContain('::k8sprep-fact:: apiserver_version 1.29.3\n');
    expect(facts.at(-1)).toBe('clock');
    expect(r.stdout).toContain('::k8sprep:: preflight failed');
    // Anonymous: no credentials went to the endpoint.
    expect(api.authorizations.length).toBeGreaterThan(0);
    expect(api.authorizations.every((a) => a === undefined)).toBe(true);
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
