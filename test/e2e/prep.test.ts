/**
 * Host preparation end to end (issue 3): the real CLI (`node init --prep-only`) over SSH to
 * test hosts (2 CentOS 7 + 2 Arch, sshd in their own namespaces on 127.x, stand-ins for yum,
 * rpm, pacman, systemctl, firewall-cmd, kubeadm, crictl, containerd). From bare to prepared,
 * every file, mode and recorded call asserted; a second run changes nothing; an injected
 * package-install failure is reported with its step and message while the other hosts
 * finish; an unsupported OS version and a cloned machine-id are refused by preflight with
 * nothing changed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pauseImage } from '../../src/cluster/images.js';
import { parseVersion } from '../../src/cluster/versions.js';
import type { HostReport } from '../../src/run/report.js';
import { containerdConfigV2, containerdConfigV3 } from '../../src/templates/containerd.js';
import { crictlConfig } from '../../src/templates/crictl.js';
import { centosVaultRepo, dockerCeRepo, kubernetesRepo } from '../../src/templates/yum-repos.js';
import { assertBuilt, runCli, tempDir } from '../helpers/cli.js';
import { startTestHosts, type TestFleet, type TestHost } from '../hosts/index.js';

const VERSION = '1.34.2';
const REPO = 'registry.aliyuncs.com/google_containers';
const PAUSE = pauseImage(parseVersion(VERSION), REPO);
/**
 * What a run may change on a host. Home directories are left out: logging in runs this
 * machine's root dotfiles, which create their own files (e.g. ~/.pyenv/shims).
 */
const SYSTEM = ['/etc', '/usr', '/var', '/opt', '/boot', '/srv'];

interface Summary {
  runId: string;
  ok: boolean;
  hosts: HostReport[];
}

/** `node init --prep-only --json` against `yaml`, as the operator runs it (HOME with the fleet's keys). */
async function prep(fleet: TestFleet, yaml: string): Promise<{ code: number | null; summary: Summary; stderr: string }> {
  const dir = tempDir('k8sprep-e2e-');
  try {
    const file = join(dir.path, 'cluster.yaml');
    writeFileSync(file, yaml);
    const r = await runCli(['node', 'init', '--prep-only', '--json', '-c', file], { cwd: dir.path, home: fleet.home });
    let summary: Summary;
    try {
      summary = JSON.parse(r.stdout) as Summary;
    } catch {
      throw new Error(`no JSON summary (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, summary, stderr: r.stderr };
  } finally {
    dir.remove();
  }
}

function report(summary: Summary, host: string): HostReport {
  const r = summary.hosts.find((h) => h.host === host);
  if (!r) throw new Error(`no report for ${host}`);
  return r;
}

function statuses(r: HostReport): Record<string, string> {
  return Object.fromEntries(r.steps.map((s) => [s.id, s.status]));
}

/** The calls of stand-in `name` (without the name), in order. */
async function callsOf(host: TestHost, name: string): Promise<string[][]> {
  return (await host.calls()).filter((c) => c[0] === name).map((c) => c.slice(1));
}

async function expectFile(host: TestHost, path: string, content: string | RegExp, mode = 0o644): Promise<void> {
  const text = await host.readFile(path);
  if (typeof content === 'string') expect([host.name, path, text]).toEqual([host.name, path, content]);
  else expect([host.name, path, text]).toEqual([host.name, path, expect.stringMatching(content)]);
  expect([host.name, path, (await host.stat(path)).mode & 0o7777]).toEqual([host.name, path, mode]);
}

const CENTOS_STEPS = ['preflight', 'os-release', 'hostname', 'swap', 'selinux', 'firewall', 'kernel-modules', 'sysctl', 'base-repos', 'package-repos', 'time-sync', 'ipvs-tools', 'containerd-install', 'containerd', 'kubernetes-packages', 'crictl', 'images'];
const ARCH_STEPS = CENTOS_STEPS.filter((s) => !['selinux', 'base-repos', 'package-repos'].includes(s));

beforeAll(() => assertBuilt());

describe('two CentOS 7 and two Arch hosts, bare to prepared', () => {
  let fleet: TestFleet;
  let yaml: string;
  let first: Summary;
  let firstCode: number | null;
  beforeAll(async () => {
    fleet = await startTestHosts([
      { name: 'c1', os: 'centos7' },
      { name: 'c2', os: 'centos7' },
      { name: 'a1', os: 'arch' },
      { name: 'a2', os: 'arch' },
    ]);
    // c1 is the control plane (clusterYaml: the first host), the others are workers.
    yaml = fleet.clusterYaml({ version: VERSION });
    const r = await prep(fleet, yaml);
    first = r.summary;
    firstCode = r.code;
  });
  afterAll(async () => fleet?.stop());

  test('every host succeeds; every step changed except what a bare host already had', () => {
    expect([firstCode, first.ok]).toEqual([0, true]);
    const unchanged: Record<string, string[]> = {
      // The OS checks pass; CentOS ships chrony running, Arch has no firewalld.
      c1: ['preflight', 'os-release', 'time-sync'],
      c2: ['preflight', 'os-release', 'time-sync'],
      a1: ['preflight', 'os-release', 'firewall'],
      a2: ['preflight', 'os-release', 'firewall'],
    };
    for (const host of fleet.hosts) {
      const steps = host.os === 'centos7' ? CENTOS_STEPS : ARCH_STEPS;
      const want = Object.fromEntries(steps.map((s) => [s, unchanged[host.name]!.includes(s) ? 'unchanged' : 'changed']));
      expect([host.name, statuses(report(first, host.name))]).toEqual([host.name, want]);
    }
  });

  test('hostname and /etc/hosts: every node by name', async () => {
    const block = [
      '# BEGIN k8sprep cluster test: written by k8sprep, replaced on every run',
      ...fleet.hosts.map((h) => `${h.address} ${h.name}`),
      '# END k8sprep cluster test',
    ].join('\n');
    for (const host of fleet.hosts) {
      await expectFile(host, '/etc/hostname', `${host.name}\n`);
      await expectFile(host, '/etc/hosts', new RegExp(`^127\\.0\\.0\\.1[^\\n]*\\n[\\s\\S]*${block.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
      expect((await host.exec(['uname', '-n'])).stdout).toBe(`${host.name}\n`);
    }
  });

  test('CentOS 7: vault base repos (original backed up), docker-ce and Kubernetes v1.34 repos, SELinux permissive, firewalld ports', async () => {
    for (const host of fleet.hosts.filter((h) => h.os === 'centos7')) {
      await expectFile(host, '/etc/yum.repos.d/CentOS-Base.repo', centosVaultRepo('https://mirrors.aliyun.com/centos-vault/7.9.2009'));
      await expectFile(host, '/etc/yum.repos.d/docker-ce.repo', dockerCeRepo('https://mirrors.aliyun.com/docker-ce/linux/centos'));
      await expectFile(
        host,
        '/etc/yum.repos.d/kubernetes.repo',
        kubernetesRepo('https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.34/rpm', '1.34', ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni']),
      );
      const backup = `/var/lib/k8sprep/backup/${first.runId}/etc/yum.repos.d/CentOS-Base.repo`;
      expect(await host.readFile(backup)).toMatch(/^mirrorlist=http:\/\/mirrorlist\.centos\.org\//m);
      expect((await host.stat('/var/lib/k8sprep/backup')).mode & 0o777).toBe(0o700);
      expect(await host.readFile('/etc/selinux/config')).toMatch(/^SELINUX=permissive$/m);
      expect((await host.exec(['getenforce'])).stdout).toBe('Permissive\n');

      const yum = await callsOf(host, 'yum');
      expect(yum.filter((c) => c.includes('install'))).toEqual([
        ['install', '-y', '-q', '--setopt=skip_missing_names_on_install=False', 'ipset', 'ipvsadm', 'conntrack-tools'],
        ['install', '-y', '-q', '--setopt=skip_missing_names_on_install=False', 'containerd.io'],
        ['install', '-y', '-q', '--setopt=skip_missing_names_on_install=False', '--disableexcludes=kubernetes', `kubelet-${VERSION}`, `kubeadm-${VERSION}`, `kubectl-${VERSION}`],
      ]);
      const rpm = (await host.exec(['rpm', '-q', 'kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'containerd.io'])).stdout;
      expect(rpm).toBe(
        [`kubelet-${VERSION}-150500.1.1.x86_64`, `kubeadm-${VERSION}-150500.1.1.x86_64`, `kubectl-${VERSION}-150500.1.1.x86_64`, 'cri-tools-1.34.0-150500.1.1.x86_64', 'containerd.io-1.6.33-3.1.el7.x86_64', ''].join('\n'),
      );

      const ports = host.name === 'c1'
        ? ['10250/tcp', '10256/tcp', '30000-32767/tcp', '6443/tcp', '2379-2380/tcp', '10257/tcp', '10259/tcp', '179/tcp', '4789/udp']
        : ['10250/tcp', '10256/tcp', '30000-32767/tcp', '179/tcp', '4789/udp'];
      const fw = await callsOf(host, 'firewall-cmd');
      expect(fw.filter((c) => c.some((a) => a.startsWith('--add-')))).toEqual([
        ...ports.map((p) => ['--permanent', `--add-port=${p}`]),
        ['--permanent', '--zone=trusted', '--add-source=10.244.0.0/16'],
        ['--permanent', '--zone=trusted', '--add-source=10.96.0.0/12'],
      ]);
      expect((await host.exec(['firewall-cmd', '--list-ports'])).stdout).toBe(`${ports.join(' ')}\n`);
      expect((await host.exec(['firewall-cmd', '--zone=trusted', '--list-sources'])).stdout).toBe('10.244.0.0/16 10.96.0.0/12\n');
    }
  });

  test('Arch: packages from its repositories with pacman, chronyd instead of timesyncd, no yum, no firewall', async () => {
    for (const host of fleet.hosts.filter((h) => h.os === 'arch')) {
      expect((await callsOf(host, 'pacman')).filter((c) => c[0] === '-S')).toEqual([
        ['-S', '--needed', '--noconfirm', 'chrony'],
        ['-S', '--needed', '--noconfirm', 'ipset', 'ipvsadm', 'conntrack-tools'],
        ['-S', '--needed', '--noconfirm', 'containerd', 'runc'],
        ['-S', '--needed', '--noconfirm', 'kubeadm', 'kubelet', 'kubectl'],
        ['-S', '--needed', '--noconfirm', 'crictl'],
      ]);
      expect((await host.exec(['pacman', '-Q', 'kubeadm', 'kubelet', 'kubectl', 'containerd'])).stdout).toBe(
        `kubeadm ${VERSION}-1\nkubelet ${VERSION}-1\nkubectl ${VERSION}-1\ncontainerd 2.0.2-1\n`,
      );
      const systemctl = await callsOf(host, 'systemctl');
      expect(systemctl).toContainEqual(['disable', '--now', 'systemd-timesyncd']);
      expect(systemctl).toContainEqual(['enable', 'chronyd']);
      expect((await host.exec(['systemctl', 'is-active', 'chronyd', 'systemd-timesyncd'])).stdout).toBe('active\ninactive\n');
      expect(await callsOf(host, 'yum')).toEqual([]);
      expect(await callsOf(host, 'firewall-cmd')).toEqual([]);
    }
  });

  test('kernel modules and sysctl persisted', async () => {
    for (const host of fleet.hosts) {
      const conntrack = host.os === 'centos7' ? 'nf_conntrack_ipv4' : 'nf_conntrack';
      await expectFile(host, '/etc/modules-load.d/k8s.conf', `overlay\nbr_netfilter\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\n${conntrack}\n`);
      await expectFile(host, '/etc/sysctl.d/99-k8s.conf', /^net\.bridge\.bridge-nf-call-iptables = 1$[\s\S]*^vm\.swappiness = 0$/m);
    }
  });

  test('containerd: the config schema of the installed version (1.6 on CentOS: v2, 2.0 on Arch: v3), enabled and running', async () => {
    for (const host of fleet.hosts) {
      const config = host.os === 'centos7' ? containerdConfigV2({ sandboxImage: PAUSE }) : containerdConfigV3({ sandboxImage: PAUSE });
      await expectFile(host, '/etc/containerd/config.toml', config);
      expect((await host.exec(['systemctl', 'is-enabled', 'containerd'])).stdout).toBe('enabled\n');
      expect((await host.exec(['systemctl', 'is-active', 'containerd'])).stdout).toBe('active\n');
      // Started once; never restarted (it was not running when the config was written).
      expect((await callsOf(host, 'systemctl')).filter((c) => c.includes('containerd') && /start|restart/.test(c[0] ?? ''))).toEqual([['start', 'containerd']]);
      await expectFile(host, '/etc/crictl.yaml', crictlConfig());
    }
  });

  test('kubelet, kubeadm and kubectl report the cluster version; kubelet enabled, not started', async () => {
    for (const host of fleet.hosts) {
      expect((await host.exec(['kubeadm', 'version', '-o', 'short'])).stdout).toBe(`v${VERSION}\n`);
      expect((await host.exec(['kubelet', '--version'])).stdout).toBe(`Kubernetes v${VERSION}\n`);
      expect((await host.exec(['systemctl', 'is-enabled', 'kubelet'])).stdout).toBe('enabled\n');
      expect((await host.exec(['systemctl', 'is-active', 'kubelet'])).stdout).toBe('inactive\n');
    }
  });

  test('images from the mirror: the control plane all of kubeadm\'s, workers what runs on them', async () => {
    const all = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((c) => `${REPO}/${c}:v${VERSION}`);
    all.push(`${REPO}/coredns:v1.12.1`, PAUSE, `${REPO}/etcd:3.6.5-0`);
    for (const host of fleet.hosts) {
      const images = (await host.readFile('/var/lib/k8sprep-testhost/images')).split('\n').filter(Boolean).sort();
      if (host.name === 'c1') {
        expect(images).toEqual([...all].sort());
        expect(await callsOf(host, 'kubeadm')).toContainEqual(['config', 'images', 'pull', '--kubernetes-version', VERSION, '--image-repository', REPO, '--cri-socket', 'unix:///run/containerd/containerd.sock']);
      } else {
        expect(images).toEqual([`${REPO}/coredns:v1.12.1`, `${REPO}/kube-proxy:v${VERSION}`, PAUSE].sort());
        expect((await callsOf(host, 'crictl')).filter((c) => c[0] === 'pull').map((c) => c[1])).toEqual([`${REPO}/kube-proxy:v${VERSION}`, `${REPO}/coredns:v1.12.1`, PAUSE]);
        expect((await callsOf(host, 'kubeadm')).filter((c) => c.includes('pull'))).toEqual([]);
      }
    }
  });

  test('a second run: every step unchanged, not one file touched', async () => {
    const before = await Promise.all(fleet.hosts.map((h) => h.fileSnapshot(SYSTEM)));
    const { code, summary } = await prep(fleet, yaml);
    expect([code, summary.ok]).toEqual([0, true]);
    for (const host of fleet.hosts) {
      const r = report(summary, host.name);
      expect([host.name, r.changed, r.failed]).toEqual([host.name, 0, 0]);
      expect([host.name, r.steps.every((s) => s.status === 'unchanged')]).toEqual([host.name, true]);
    }
    const after = await Promise.all(fleet.hosts.map((h) => h.fileSnapshot(SYSTEM)));
    fleet.hosts.forEach((h, i) => expect([h.name, after[i]]).toEqual([h.name, before[i]]));
  });
});

describe('failures: a package install, an unsupported OS version, a cloned machine', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestHosts([
      { name: 'f1', os: 'centos7' },
      { name: 'f2', os: 'arch' },
      { name: 'f3', os: 'centos7', identity: { id: 'centos', versionId: '8', prettyName: 'CentOS Linux 8' } },
    ]);
  });
  afterAll(async () => fleet?.stop());

  test('the failing host is reported with its step and the package manager\'s message; the others finish', async () => {
    const f1 = fleet.host('f1');
    const f3 = fleet.host('f3');
    const message = 'https://mirrors.aliyun.com/docker-ce/linux/centos/7/x86_64/stable/Packages/containerd.io-1.6.33-3.1.el7.x86_64.rpm: [Errno 14] curl#7 - "Failed to connect to mirrors.aliyun.com port 443"';
    await f1.injectFailure('package-install', 'containerd.io', message);
    const untouched = await f3.fileSnapshot(SYSTEM);

    const { code, summary } = await prep(fleet, fleet.clusterYaml({ version: VERSION }));
    expect([code, summary.ok]).toEqual([1, false]);

    const r1 = report(summary, 'f1');
    expect([r1.status, r1.failedStep]).toEqual(['failed', 'containerd-install']);
    expect(r1.error).toMatch(/in step containerd-install/);
    expect(r1.stderrTail).toContain(message);
    const s1 = statuses(r1);
    expect(s1['ipvs-tools']).toBe('changed');
    expect(s1['containerd-install']).toBe('failed');
    expect([s1.containerd, s1['kubernetes-packages'], s1.crictl, s1.images]).toEqual(['not-run', 'not-run', 'not-run', 'not-run']);
    // Nothing after the failure ran: no containerd config of ours (the file the host may
    // already have is not k8sprep's).
    expect((await f1.fileSnapshot(['/etc/containerd'])).size).toBe(0);

    const r2 = report(summary, 'f2');
    expect([r2.status, r2.failed]).toEqual(['ok', 0]);
    expect(statuses(r2).images).toBe('changed');

    // f3 claims CentOS 8: refused by preflight, before anything changed, and never prepared.
    const r3 = report(summary, 'f3');
    expect([r3.status, r3.failedStep]).toEqual(['failed', 'preflight']);
    expect(r3.stderrTail).toContain('k8sprep: preflight: this host runs CentOS Linux 8 (ID=centos VERSION_ID=8), not CentOS 7 (os: centos7 for this host)');
    expect(r3.steps.filter((s) => s.phase === 'prep').every((s) => s.status === 'not-run')).toBe(true);
    expect(await f3.fileSnapshot(SYSTEM)).toEqual(untouched);
    expect((await f3.calls()).map((c) => c[0]).filter((n) => !['uname'].includes(n ?? ''))).toEqual([]);
  });

  test('a machine-id shared by two hosts fails both in preflight, naming each other, and nothing changes', async () => {
    const f1 = fleet.host('f1');
    const f2 = fleet.host('f2');
    await f1.clearFailures();
    // A clone: f2 gets f1's machine-id.
    const id = (await f1.readFile('/etc/machine-id')).trim();
    await f2.exec(['sh', '-c', 'cat >/etc/machine-id'], { input: `${id}\n` });
    const before = await Promise.all([f1.fileSnapshot(SYSTEM), f2.fileSnapshot(SYSTEM)]);

    const { code, summary } = await prep(fleet, fleet.clusterYaml({ version: VERSION, only: ['f1', 'f2'] }));
    expect(code).toBe(1);
    for (const [host, other] of [['f1', 'f2'], ['f2', 'f1']] as const) {
      const r = report(summary, host);
      expect(r.status).toBe('failed');
      expect(r.error).toContain(`preflight: machine-id ${id} is also ${other}'s`);
      expect(r.steps.filter((s) => s.phase === 'prep').every((s) => s.status === 'not-run')).toBe(true);
    }
    expect(await Promise.all([f1.fileSnapshot(SYSTEM), f2.fileSnapshot(SYSTEM)])).toEqual(before);
  });
});
