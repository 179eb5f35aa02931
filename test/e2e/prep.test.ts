/**
 * Host preparation end to end (issue 3): the real CLI (`node init --prep-only`) over SSH to
 * test hosts (2 CentOS 7 + 2 Arch, sshd in their own namespaces on 127.x, stand-ins for yum,
 * rpm, pacman, systemctl, firewall-cmd, kubeadm, crictl, containerd). From bare to prepared,
 * every file, mode and recorded call asserted; a second run changes nothing; an injected
 * package-install failure is reported with its step and message while the other hosts
 * finish; an unsupported OS version and a cloned machine-id are refused by preflight with
 * nothing changed. One Arch host of each fleet has another Kubernetes version in its pacman
 * repository and gets the release binaries from a mirror served by this test (HTTP on the
 * fleet bridge's address); a corrupted binary there is refused by its checksum.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, type TomlTable } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { HostReport } from '../../src/run/report.js';
import { assertBuilt, REPO as SOURCE_TREE, runCli, tempDir } from '../helpers/cli.js';
import { parseRepoFile } from '../steps/repo-ini.js';
import { releaseBinary, RELEASE_TOOLS, startBinaryMirror, startTestHosts, type BinaryMirror, type TestFleet, type TestHost } from '../hosts/index.js';
import { ARCH_PREP_STEPS, CENTOS_PREP_STEPS } from '../helpers/prep-steps.js';

const VERSION = '1.34.2';
const REPO = 'registry.aliyuncs.com/google_containers';
/** The pause image kubeadm 1.34 expects (DESIGN §4: 3.10.1 from 1.34), from the cluster's repository. */
const PAUSE = `${REPO}/pause:3.10.1`;
/** Starting a fleet and running prep over it: generous, the machine may be shared and slow. */
const RUN_TIMEOUT_MS = 900_000;
/**
 * What a run may change on a host. Home directories are left out: logging in runs this
 * machine's root dotfiles, which create their own files (e.g. ~/.pyenv/shims).
 */
const SYSTEM = ['/etc', '/usr', '/var', '/opt', '/boot', '/srv'];
/** What pacman's repository offers on the Arch host that needs the release binaries. */
const OTHER_ARCH_REPO_VERSION = '1.35.0';

/** DESIGN §4's sysctl table, as written in the design (not taken from the source). */
const DESIGN_SYSCTL = [
  'net.bridge.bridge-nf-call-ip6tables=1',
  'net.bridge.bridge-nf-call-iptables=1',
  'net.ipv4.ip_forward=1',
  'net.ipv4.tcp_slow_start_after_idle=0',
  'net.core.rmem_max=16777216',
  'net.core.wmem_max=16777216',
  'net.ipv4.tcp_rmem=4096 12582912 16777216',
  'net.ipv4.tcp_wmem=4096 12582912 16777216',
  'net.core.somaxconn=32768',
  'net.core.netdev_max_backlog=16384',
  'net.ipv4.tcp_max_syn_backlog=8096',
  'fs.inotify.max_user_watches=524288',
  'fs.inotify.max_user_instances=8192',
  'fs.inotify.max_queued_events=16384',
  'fs.file-max=2097152',
  'vm.max_map_count=262144',
  'vm.swappiness=0',
  'kernel.softlockup_all_cpu_backtrace=1',
  'kernel.softlockup_panic=1',
].map((line) => line.split('=') as [string, string]);

/** A file a test host starts with (test/hosts/rootfs) or a package lays down (test/hosts/pkgfiles). */
function harnessFile(path: string): string {
  return readFileSync(join(SOURCE_TREE, 'test/hosts', path), 'utf8');
}

interface Summary {
  runId: string;
  ok: boolean;
  hosts: HostReport[];
}

/**
 * `node init --prep-only --json` against `yaml`, as the operator runs it (HOME with the fleet's
 * keys); with each host's run log (every line its scripts printed, facts and stderr included).
 */
async function prep(fleet: TestFleet, yaml: string): Promise<{ code: number | null; summary: Summary; stderr: string; logs: Record<string, string> }> {
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
    const logs = Object.fromEntries(summary.hosts.map((h) => [h.host, h.logPath && existsSync(h.logPath) ? readFileSync(h.logPath, 'utf8') : '']));
    return { code: r.code, summary, stderr: r.stderr, logs };
  } finally {
    dir.remove();
  }
}

/** A nested TOML value by its path of keys. */
function tomlAt(table: TomlTable, ...path: string[]): unknown {
  return path.reduce<unknown>((t, key) => (t && typeof t === 'object' ? (t as Record<string, unknown>)[key] : undefined), table);
}

/** A systemd unit file's `Key=value` lines, in order (comments and sections left out). */
function unitLines(text: string, key: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${key}=`));
}

/** Writes `content` to `path` on a test host, as an operator or a package would have. */
async function put(host: TestHost, path: string, content: string): Promise<void> {
  const r = await host.exec(['sh', '-c', 'cat >"$1"', 'put', path], { input: content });
  if (r.code !== 0) throw new Error(`writing ${path} on ${host.name}: ${r.stderr}`);
}

function report(summary: Summary, host: string): HostReport {
  const r = summary.hosts.find((h) => h.host === host);
  if (!r) throw new Error(`no report for ${host}`);
  return r;
}

/** A `pacman -S --needed --noconfirm NAMES` call as the stand-in records it. */
const pacmanS = (...names: string[]) => ['-S', '--needed', '--noconfirm', ...names];

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

const CENTOS_STEPS = ['preflight', ...CENTOS_PREP_STEPS];
const ARCH_STEPS = ['preflight', ...ARCH_PREP_STEPS];

beforeAll(() => assertBuilt());

describe('two CentOS 7 and two Arch hosts, bare to prepared', () => {
  let fleet: TestFleet;
  let mirror: BinaryMirror;
  let yaml: string;
  let first: Summary;
  let firstCode: number | null;
  /** c2's chrony.conf as the operator left it: every time source commented out. */
  let c2Chrony: string;
  beforeAll(async () => {
    fleet = await startTestHosts([
      { name: 'c1', os: 'centos7' },
      { name: 'c2', os: 'centos7' },
      { name: 'a1', os: 'arch' },
      // Arch's repository has moved on: a2 needs the cluster's version as release binaries.
      { name: 'a2', os: 'arch', archRepoKubeVersion: OTHER_ARCH_REPO_VERSION },
    ]);
    mirror = await startBinaryMirror(fleet, VERSION);
    const c2 = fleet.host('c2');
    await c2.exec(['sed', '-i', 's/^server /#server /', '/etc/chrony.conf']);
    c2Chrony = await c2.readFile('/etc/chrony.conf');
    // c1 is the control plane (clusterYaml: the first host), the others are workers.
    yaml = fleet.clusterYaml({ version: VERSION, spec: { mirrors: { binaries: mirror.url } } });
    const r = await prep(fleet, yaml);
    first = r.summary;
    firstCode = r.code;
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await mirror?.close();
    await fleet?.stop();
  });

  test('every host succeeds; every step changed except what a bare host already had', () => {
    expect([firstCode, first.ok]).toEqual([0, true]);
    const unchanged: Record<string, string[]> = {
      // The OS checks pass; CentOS ships chrony running (c2's without a time source), Arch has no firewalld.
      c1: ['preflight', 'os-release', 'time-sync'],
      c2: ['preflight', 'os-release'],
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

  test('swap off now and at boot: fstab swap lines commented, swapoff -a, no swap left; Arch: zram-generator emptied, zram and swap units masked', async () => {
    for (const host of fleet.hosts) {
      const fstab = harnessFile(`rootfs/${host.os}/etc/fstab`);
      const swapLine = fstab.split('\n').find((l) => /\sswap\s/.test(l) && !l.startsWith('#')) ?? '';
      expect(swapLine).not.toBe('');
      await expectFile(host, '/etc/fstab', fstab.replace(swapLine, `# disabled by k8sprep: ${swapLine}`));
      expect(await host.readFile(`/var/lib/k8sprep/backup/${first.runId}/etc/fstab`)).toBe(fstab);
      expect([host.name, await callsOf(host, 'swapoff')]).toEqual([host.name, [['-a']]]);
      expect([host.name, await host.readFile('/var/lib/k8sprep-testhost/swaps')]).toEqual([host.name, '']);
      expect((await host.exec(['swapon', '--show=NAME', '--noheadings'])).stdout).toBe('');
      if (host.os !== 'arch') continue;
      await expectFile(host, '/etc/systemd/zram-generator.conf', '# zram swap disabled by k8sprep: the kubelet needs swap off\n');
      expect(await host.readFile(`/var/lib/k8sprep/backup/${first.runId}/etc/systemd/zram-generator.conf`)).toBe(
        harnessFile('rootfs/arch/etc/systemd/zram-generator.conf'),
      );
      const units = ['systemd-zram-setup@zram0.service', 'dev-zram0.swap', 'swapfile.swap'];
      expect((await host.exec(['systemctl', 'is-enabled', ...units])).stdout).toBe('masked\nmasked\nmasked\n');
      expect((await host.exec(['systemctl', 'is-active', ...units])).stdout).toBe('inactive\ninactive\ninactive\n');
      const systemctl = (await callsOf(host, 'systemctl')).filter((c) => c[0] === 'stop' || c[0] === 'mask');
      expect(systemctl).toEqual(
        units.flatMap((u) => [
          ['stop', u],
          ['mask', u],
        ]),
      );
    }
  });

  test('CentOS 7: vault base repos (original backed up), docker-ce and Kubernetes v1.34 repos, SELinux permissive now and at boot', async () => {
    for (const host of fleet.hosts.filter((h) => h.os === 'centos7')) {
      const vault = 'https://mirrors.aliyun.com/centos-vault/7.9.2009';
      const base = parseRepoFile(await host.readFile('/etc/yum.repos.d/CentOS-Base.repo'));
      expect(Object.entries(base).map(([id, r]) => [id, r.baseurl, r.enabled, r.mirrorlist])).toEqual([
        ['base', `${vault}/os/$basearch/`, '1', undefined],
        ['updates', `${vault}/updates/$basearch/`, '1', undefined],
        ['extras', `${vault}/extras/$basearch/`, '1', undefined],
      ]);
      const docker = parseRepoFile(await host.readFile('/etc/yum.repos.d/docker-ce.repo'));
      expect(docker['docker-ce-stable']?.baseurl).toBe('https://mirrors.aliyun.com/docker-ce/linux/centos/7/$basearch/stable');
      const kube = parseRepoFile(await host.readFile('/etc/yum.repos.d/kubernetes.repo')).kubernetes;
      expect([kube?.baseurl, kube?.exclude?.split(' ')]).toEqual([
        'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.34/rpm/',
        ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'],
      ]);
      for (const path of ['/etc/yum.repos.d/CentOS-Base.repo', '/etc/yum.repos.d/docker-ce.repo', '/etc/yum.repos.d/kubernetes.repo']) {
        expect([path, (await host.stat(path)).mode & 0o7777]).toEqual([path, 0o644]);
      }
      // The stock repositories CentOS ships disabled (CR, fasttrack, ...) are left as they are.
      for (const stock of ['CentOS-CR.repo', 'CentOS-fasttrack.repo', 'CentOS-x86_64-kernel.repo']) {
        expect([stock, await host.readFile(`/etc/yum.repos.d/${stock}`)]).toEqual([stock, harnessFile(`rootfs/centos7/etc/yum.repos.d/${stock}`)]);
      }
      const backup = `/var/lib/k8sprep/backup/${first.runId}/etc/yum.repos.d/CentOS-Base.repo`;
      expect(await host.readFile(backup)).toMatch(/^mirrorlist=http:\/\/mirrorlist\.centos\.org\//m);
      expect((await host.stat('/var/lib/k8sprep/backup')).mode & 0o777).toBe(0o700);

      const selinux = harnessFile('rootfs/centos7/etc/selinux/config');
      expect(selinux).toMatch(/^SELINUX=enforcing$/m);
      await expectFile(host, '/etc/selinux/config', selinux.replace(/^SELINUX=enforcing$/m, 'SELINUX=permissive'));
      expect(await host.readFile(`/var/lib/k8sprep/backup/${first.runId}/etc/selinux/config`)).toBe(selinux);
      expect([host.name, await callsOf(host, 'setenforce')]).toEqual([host.name, [['0']]]);
      expect(await host.readFile('/var/lib/k8sprep-testhost/selinux')).toBe('Permissive\n');
      expect((await host.exec(['getenforce'])).stdout).toBe('Permissive\n');

      const yum = await callsOf(host, 'yum');
      expect(yum.filter((c) => c.includes('install'))).toEqual([
        ['install', '-y', '-q', '--setopt=skip_missing_names_on_install=False', 'ipset', 'ipvsadm', 'conntrack-tools'],
        ['install', '-y', '-q', '--setopt=skip_missing_names_on_install=False', 'containerd.io'],
        [
          'install',
          '-y',
          '-q',
          '--setopt=skip_missing_names_on_install=False',
          '--disableexcludes=kubernetes',
          `kubelet-${VERSION}`,
          `kubeadm-${VERSION}`,
          `kubectl-${VERSION}`,
        ],
      ]);
      const rpm = (await host.exec(['rpm', '-q', 'kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'containerd.io'])).stdout;
      expect(rpm).toBe(
        [
          `kubelet-${VERSION}-150500.1.1.x86_64`,
          `kubeadm-${VERSION}-150500.1.1.x86_64`,
          `kubectl-${VERSION}-150500.1.1.x86_64`,
          'cri-tools-1.34.0-150500.1.1.x86_64',
          'containerd.io-1.6.33-3.1.el7.x86_64',
          '',
        ].join('\n'),
      );
    }
  });

  test("CentOS 7 firewalld: the role's ports, calico's (BGP, VXLAN, Typha) and IP-in-IP (protocol 4), permanent, reloaded into the runtime", async () => {
    for (const host of fleet.hosts.filter((h) => h.os === 'centos7')) {
      const calico = ['179/tcp', '4789/udp', '5473/tcp'];
      const ports =
        host.name === 'c1'
          ? ['10250/tcp', '10256/tcp', '30000-32767/tcp', '6443/tcp', '2379-2380/tcp', '10257/tcp', '10259/tcp', ...calico]
          : ['10250/tcp', '10256/tcp', '30000-32767/tcp', ...calico];
      const ipip = 'rule protocol value="4" accept';
      const fw = await callsOf(host, 'firewall-cmd');
      expect(fw.filter((c) => c.some((a) => a.startsWith('--add-') || a === '--reload'))).toEqual([
        ...ports.map((p) => ['--permanent', `--add-port=${p}`]),
        ['--permanent', '--zone=trusted', '--add-source=10.244.0.0/16'],
        ['--permanent', '--zone=trusted', '--add-source=10.96.0.0/12'],
        ['--permanent', `--add-rich-rule=${ipip}`],
        ['--reload'],
      ]);
      for (const layer of [['--permanent'], []]) {
        expect([host.name, layer, (await host.exec(['firewall-cmd', ...layer, '--list-ports'])).stdout]).toEqual([host.name, layer, `${ports.join(' ')}\n`]);
        expect((await host.exec(['firewall-cmd', ...layer, '--list-rich-rules'])).stdout).toBe(`${ipip}\n`);
        expect((await host.exec(['firewall-cmd', ...layer, '--zone=trusted', '--list-sources'])).stdout).toBe('10.244.0.0/16 10.96.0.0/12\n');
      }
      expect((await host.exec(['systemctl', 'is-active', 'firewalld'])).stdout).toBe('active\n');
    }
  });

  test("time sync: chronyd enabled and running, its config kept when it has a source; c2 without one gets the mirror region's pool", async () => {
    for (const host of fleet.hosts) {
      const shipped = harnessFile(`pkgfiles/${host.os}/chrony/etc/chrony.conf`);
      const want = host.name === 'c2' ? `${c2Chrony}# Time source added by k8sprep: none was configured.\npool ntp.aliyun.com iburst\n` : shipped;
      await expectFile(host, '/etc/chrony.conf', want);
      expect((await host.exec(['systemctl', 'is-enabled', 'chronyd'])).stdout).toBe('enabled\n');
      expect((await host.exec(['systemctl', 'is-active', 'chronyd'])).stdout).toBe('active\n');
      const restarts = (await callsOf(host, 'systemctl')).filter((c) => c[0] === 'restart' && c[1] === 'chronyd');
      expect([host.name, restarts]).toEqual([host.name, host.name === 'c2' ? [['restart', 'chronyd']] : []]);
    }
    expect(c2Chrony).not.toMatch(/^(server|pool) /m);
  });

  test('Arch, repository at the cluster version (a1): packages with pacman, chronyd instead of timesyncd, no yum, no firewall', async () => {
    const host = fleet.host('a1');
    expect((await callsOf(host, 'pacman')).filter((c) => c[0] === '-S')).toEqual([
      pacmanS('chrony'),
      pacmanS('ipset', 'ipvsadm', 'conntrack-tools'),
      pacmanS('containerd', 'runc'),
      pacmanS('kubeadm', 'kubelet', 'kubectl'),
      pacmanS('crictl'),
    ]);
    expect((await host.exec(['pacman', '-Q', 'kubeadm', 'kubelet', 'kubectl', 'containerd'])).stdout).toBe(
      `kubeadm ${VERSION}-1\nkubelet ${VERSION}-1\nkubectl ${VERSION}-1\ncontainerd 2.0.2-1\n`,
    );
    expect(await host.exists('/usr/local/bin/kubelet')).toBe(false);
    for (const h of [host, fleet.host('a2')]) {
      const systemctl = await callsOf(h, 'systemctl');
      expect(systemctl).toContainEqual(['disable', '--now', 'systemd-timesyncd']);
      expect(systemctl).toContainEqual(['enable', 'chronyd']);
      expect((await h.exec(['systemctl', 'is-active', 'chronyd', 'systemd-timesyncd'])).stdout).toBe('active\ninactive\n');
      expect(await callsOf(h, 'yum')).toEqual([]);
      expect(await callsOf(h, 'firewall-cmd')).toEqual([]);
    }
  });

  test(`Arch, repository at ${OTHER_ARCH_REPO_VERSION} (a2): the ${VERSION} release binaries from mirrors.binaries, checksums verified, kubelet unit and kubeadm drop-in, kubelet enabled`, async () => {
    const host = fleet.host('a2');
    for (const tool of RELEASE_TOOLS) await expectFile(host, `/usr/local/bin/${tool}`, releaseBinary(tool, VERSION), 0o755);
    expect(unitLines(await host.readFile('/etc/systemd/system/kubelet.service'), 'ExecStart')).toEqual(['ExecStart=/usr/local/bin/kubelet']);
    expect(unitLines(await host.readFile('/etc/systemd/system/kubelet.service.d/10-kubeadm.conf'), 'ExecStart')).toEqual([
      'ExecStart=',
      'ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS',
    ]);
    expect(unitLines(await host.readFile('/etc/systemd/system/kubelet.service.d/10-kubeadm.conf'), 'EnvironmentFile')).toEqual(
      expect.arrayContaining(['EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env']),
    );
    expect((await host.exec(['systemctl', 'is-enabled', 'kubelet'])).stdout).toBe('enabled\n');
    const systemctl = await callsOf(host, 'systemctl');
    expect(systemctl).toContainEqual(['daemon-reload']);
    expect(systemctl.findIndex((c) => c[0] === 'daemon-reload')).toBeLessThan(systemctl.findIndex((c) => c[0] === 'enable' && c[1] === 'kubelet'));
    // No pacman Kubernetes packages: only what the binaries need besides them.
    expect((await callsOf(host, 'pacman')).filter((c) => c[0] === '-S')).toEqual([
      pacmanS('chrony'),
      pacmanS('ipset', 'ipvsadm', 'conntrack-tools'),
      pacmanS('containerd', 'runc'),
      pacmanS('conntrack-tools', 'socat', 'ethtool'),
      pacmanS('iptables'),
      pacmanS('crictl'),
    ]);
    expect((await host.exec(['pacman', '-Q', 'kubeadm', 'kubelet', 'kubectl'])).code).toBe(1);
    // Preflight asked the mirror for kubeadm's checksum (the binaries exist there) before
    // anything changed; the step then fetched each binary with its checksum. Only a2 asked.
    const dir = `/release/v${VERSION}/bin/linux/amd64`;
    expect(mirror.requests).toEqual(
      [`${dir}/kubeadm.sha256`, ...RELEASE_TOOLS.flatMap((t) => [`${dir}/${t}`, `${dir}/${t}.sha256`])].map((path) => ({ from: host.address, path })),
    );
  });

  test("kernel modules: loaded with modprobe, listed for boot (nf_conntrack_ipv4 on CentOS 7's 3.10, nf_conntrack on Arch)", async () => {
    for (const host of fleet.hosts) {
      const modules = ['overlay', 'br_netfilter', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', host.os === 'centos7' ? 'nf_conntrack_ipv4' : 'nf_conntrack'];
      await expectFile(host, '/etc/modules-load.d/k8s.conf', `${modules.join('\n')}\n`);
      expect([host.name, await callsOf(host, 'modprobe')]).toEqual([host.name, modules.map((m) => [m])]);
      const loaded = (await host.readFile('/var/lib/k8sprep-testhost/modules')).split('\n');
      expect([host.name, modules.filter((m) => !loaded.includes(m))]).toEqual([host.name, []]);
      const lsmod = (await host.exec(['lsmod'])).stdout.split('\n').map((l) => l.split(/\s+/)[0]);
      expect([host.name, modules.filter((m) => !lsmod.includes(m))]).toEqual([host.name, []]);
    }
  });

  test('sysctl: /etc/sysctl.d/99-k8s.conf is exactly the DESIGN table, applied with sysctl --system', async () => {
    const conf = `# Kubernetes node settings, written by k8sprep.\n${DESIGN_SYSCTL.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`;
    for (const host of fleet.hosts) {
      await expectFile(host, '/etc/sysctl.d/99-k8s.conf', conf);
      expect([host.name, (await callsOf(host, 'sysctl')).filter((c) => c.includes('--system'))]).toEqual([host.name, [['--system']]]);
      const live = (await host.exec(['sysctl', '-n', ...DESIGN_SYSCTL.map(([k]) => k)])).stdout.trimEnd().split('\n');
      // The kernel prints multi-value settings tab-separated.
      expect([host.name, live]).toEqual([host.name, DESIGN_SYSCTL.map(([, v]) => v.replace(/ /g, '\t'))]);
    }
  });

  test('containerd: the config schema of the installed version (1.6 on CentOS: v2, read by the real containerd; 2.0 on Arch: v3), enabled and running', async () => {
    for (const host of fleet.hosts) {
      const text = await host.readFile('/etc/containerd/config.toml');
      expect([host.name, (await host.stat('/etc/containerd/config.toml')).mode & 0o7777]).toEqual([host.name, 0o644]);
      if (host.os === 'centos7') {
        const dir = tempDir('k8sprep-e2e-containerd-');
        try {
          writeFileSync(join(dir.path, 'config.toml'), text);
          const dump = spawnSync('containerd', ['--config', join(dir.path, 'config.toml'), 'config', 'dump'], { encoding: 'utf8' });
          expect([dump.status, dump.stderr]).toEqual([0, '']);
          const cri = ['plugins', 'io.containerd.grpc.v1.cri'];
          const config = parseToml(dump.stdout);
          expect([
            config.version,
            tomlAt(config, ...cri, 'sandbox_image'),
            tomlAt(config, ...cri, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup'),
            tomlAt(config, ...cri, 'registry', 'config_path'),
          ]).toEqual([2, PAUSE, true, '/etc/containerd/certs.d']);
        } finally {
          dir.remove();
        }
      } else {
        const config = parseToml(text);
        const images = ['plugins', 'io.containerd.cri.v1.images'];
        expect([
          config.version,
          tomlAt(config, ...images, 'pinned_images', 'sandbox'),
          tomlAt(config, 'plugins', 'io.containerd.cri.v1.runtime', 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup'),
          tomlAt(config, ...images, 'registry', 'config_path'),
        ]).toEqual([3, PAUSE, true, '/etc/containerd/certs.d']);
      }
      expect((await host.exec(['systemctl', 'is-enabled', 'containerd'])).stdout).toBe('enabled\n');
      expect((await host.exec(['systemctl', 'is-active', 'containerd'])).stdout).toBe('active\n');
      // Started once; never restarted (it was not running when the config was written).
      expect((await callsOf(host, 'systemctl')).filter((c) => c.includes('containerd') && /start|restart/.test(c[0] ?? ''))).toEqual([['start', 'containerd']]);
      expect(parseYaml(await host.readFile('/etc/crictl.yaml'))).toEqual({
        'runtime-endpoint': 'unix:///run/containerd/containerd.sock',
        'image-endpoint': 'unix:///run/containerd/containerd.sock',
        timeout: 10,
        debug: false,
      });
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

  test("images from the mirror: the control plane all of kubeadm's, workers what runs on them", async () => {
    const all = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((c) => `${REPO}/${c}:v${VERSION}`);
    all.push(`${REPO}/coredns:v1.12.1`, PAUSE, `${REPO}/etcd:3.6.5-0`);
    // The CNI's images keep their upstream names (pulled through the registry mirrors) and run on every node.
    const calico = ['cni', 'node', 'kube-controllers'].map((c) => `quay.io/calico/${c}:v3.31.3`);
    for (const host of fleet.hosts) {
      const images = (await host.readFile('/var/lib/k8sprep-testhost/images')).split('\n').filter(Boolean).sort();
      if (host.name === 'c1') {
        expect(images).toEqual([...all, ...calico].sort());
        expect(await callsOf(host, 'kubeadm')).toContainEqual([
          'config',
          'images',
          'pull',
          '--kubernetes-version',
          VERSION,
          '--image-repository',
          REPO,
          '--cri-socket',
          'unix:///run/containerd/containerd.sock',
        ]);
      } else {
        expect(images).toEqual([`${REPO}/coredns:v1.12.1`, `${REPO}/kube-proxy:v${VERSION}`, PAUSE, ...calico].sort());
        expect((await callsOf(host, 'crictl')).filter((c) => c[0] === 'pull').map((c) => c[1])).toEqual([
          `${REPO}/kube-proxy:v${VERSION}`,
          `${REPO}/coredns:v1.12.1`,
          PAUSE,
          ...calico,
        ]);
        expect((await callsOf(host, 'kubeadm')).filter((c) => c.includes('pull'))).toEqual([]);
      }
    }
  });

  test(
    'a second run: every step unchanged, not one file touched, nothing downloaded again',
    async () => {
      const before = await Promise.all(fleet.hosts.map((h) => h.fileSnapshot(SYSTEM)));
      const downloads = mirror.requests.length;
      const { code, summary } = await prep(fleet, yaml);
      expect(mirror.requests.length).toBe(downloads);
      expect([code, summary.ok]).toEqual([0, true]);
      for (const host of fleet.hosts) {
        const r = report(summary, host.name);
        expect([host.name, r.changed, r.failed]).toEqual([host.name, 0, 0]);
        expect([host.name, r.steps.length, r.steps.filter((s) => s.status !== 'unchanged')]).toEqual([
          host.name,
          host.os === 'centos7' ? CENTOS_STEPS.length : ARCH_STEPS.length,
          [],
        ]);
      }
      const after = await Promise.all(fleet.hosts.map((h) => h.fileSnapshot(SYSTEM)));
      fleet.hosts.forEach((h, i) => expect([h.name, after[i]]).toEqual([h.name, before[i]]));
    },
    RUN_TIMEOUT_MS,
  );
});

describe('hardening (issue 11): firewalld stopped but enabled, a dead SCLo repository, an unsynchronised clock, a kernel upgraded since boot, a stale pacman database, kube-proxy modes', () => {
  let fleet: TestFleet;
  let h1: TestHost;
  let h2: TestHost;
  /** The cluster file with kube-proxy in `proxyMode`; h1 is the control plane. */
  const yamlFor = (proxyMode: string) => fleet.clusterYaml({ version: VERSION, spec: { kubernetes: { version: VERSION, proxyMode } } });
  const KERNEL = '6.12.10-arch1-1';
  /** centos-release-scl-rh's repository file: a mirrorlist on the retired mirrorlist.centos.org. */
  const SCLO = [
    '# CentOS-SCLo-rh.repo',
    '#',
    '# Please see http://wiki.centos.org/SpecialInterestGroup/SCLo for more',
    '# information',
    '',
    '[centos-sclo-rh]',
    'name=CentOS-7 - SCLo rh',
    '#baseurl=http://mirror.centos.org/centos/7/sclo/$basearch/rh/',
    'mirrorlist=http://mirrorlist.centos.org?arch=$basearch&release=7&repo=sclo-rh',
    'gpgcheck=1',
    'enabled=1',
    'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-SCLo',
    '',
    '[centos-sclo-rh-testing]',
    'name=CentOS-7 - SCLo rh Testing',
    'baseurl=http://buildlogs.centos.org/centos/7/sclo/$basearch/rh/',
    'gpgcheck=0',
    'enabled=0',
    '',
  ].join('\n');
  const PORTS = ['10250/tcp', '10256/tcp', '30000-32767/tcp', '6443/tcp', '2379-2380/tcp', '10257/tcp', '10259/tcp', '179/tcp', '4789/udp', '5473/tcp'];
  let first: { code: number | null; summary: Summary; logs: Record<string, string> };
  let h2Before: Map<string, string>;

  beforeAll(async () => {
    fleet = await startTestHosts([
      { name: 'h1', os: 'centos7' },
      { name: 'h2', os: 'arch' },
    ]);
    h1 = fleet.host('h1');
    h2 = fleet.host('h2');
    // h1: firewalld stopped but still enabled (it comes back at the next boot), SCLo installed
    // long ago, and a chronyd that has not reached any time source.
    await h1.exec(['systemctl', 'stop', 'firewalld']);
    await put(h1, '/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo', SCLO);
    await put(h1, '/var/lib/k8sprep-testhost/chrony-leap', 'Not synchronised\n');
    // h2: its kernel package was upgraded since boot (the running kernel's modules are gone),
    // and its sync database is older than the mirror (containerd has moved on there).
    await h2.exec(['rm', '-rf', `/lib/modules/${KERNEL}`]);
    await put(h2, '/var/lib/k8sprep-testhost/pacman-stale', 'containerd\t2.0.1-1\n');
    h2Before = await h2.fileSnapshot(SYSTEM);
    first = await prep(fleet, yamlFor('iptables'));
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await fleet?.stop();
  });

  test('h2 is refused by preflight, before anything changes: its running kernel has no modules, a reboot is needed; h1 is prepared', async () => {
    expect([first.code, report(first.summary, 'h1').status]).toEqual([1, 'ok']);
    const r2 = report(first.summary, 'h2');
    expect([r2.status, r2.failedStep]).toEqual(['failed', 'preflight']);
    expect(r2.stderrTail).toContain(
      `k8sprep: preflight: kernel ${KERNEL} is running but /lib/modules/${KERNEL} is gone (the kernel package was upgraded since boot): no kernel module can be loaded until the host reboots into the new kernel; reboot it, then run k8sprep again`,
    );
    const prepSteps = r2.steps.filter((s) => s.phase === 'prep');
    expect([prepSteps.length, prepSteps.filter((s) => s.status !== 'not-run')]).toEqual([ARCH_STEPS.length - 1, []]);
    expect(await h2.fileSnapshot(SYSTEM)).toEqual(h2Before);
  });

  test('firewalld stopped but enabled: its permanent configuration holds the rules (written offline), the daemon stays stopped', async () => {
    expect(statuses(report(first.summary, 'h1')).firewall).toBe('changed');
    expect((await h1.exec(['firewall-offline-cmd', '--list-ports'])).stdout).toBe(`${PORTS.join(' ')}\n`);
    expect((await h1.exec(['firewall-offline-cmd', '--zone=trusted', '--list-sources'])).stdout).toBe('10.244.0.0/16 10.96.0.0/12\n');
    expect((await h1.exec(['firewall-offline-cmd', '--list-rich-rules'])).stdout).toBe('rule protocol value="4" accept\n');
    expect((await callsOf(h1, 'firewall-cmd')).filter((c) => c.some((a) => a.startsWith('--add-') || a === '--reload'))).toEqual([]);
    expect((await h1.exec(['systemctl', 'is-active', 'firewalld'])).stdout).toBe('inactive\n');
    expect((await h1.exec(['systemctl', 'is-enabled', 'firewalld'])).stdout).toBe('enabled\n');
  });

  test('a dead SCLo repository: moved to the vault (original backed up, said on stderr), and the installs went through with it enabled', async () => {
    const sclo = parseRepoFile(await h1.readFile('/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo'));
    expect([sclo['centos-sclo-rh']?.baseurl, sclo['centos-sclo-rh']?.mirrorlist, sclo['centos-sclo-rh']?.enabled]).toEqual([
      'https://mirrors.aliyun.com/centos-vault/7.9.2009/sclo/$basearch/rh/',
      undefined,
      '1',
    ]);
    expect(sclo['centos-sclo-rh-testing']).toEqual({
      name: 'CentOS-7 - SCLo rh Testing',
      baseurl: 'http://buildlogs.centos.org/centos/7/sclo/$basearch/rh/',
      gpgcheck: '0',
      enabled: '0',
    });
    expect(await h1.readFile(`/var/lib/k8sprep/backup/${first.summary.runId}/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo`)).toBe(SCLO);
    expect(first.logs.h1?.split('\n')).toContain(
      '[stderr] k8sprep: note: /etc/yum.repos.d/CentOS-SCLo-scl-rh.repo: repository centos-sclo-rh moved to https://mirrors.aliyun.com/centos-vault/7.9.2009/sclo/$basearch/rh/',
    );
    // Every yum transaction ran with centos-sclo-rh among the enabled repositories.
    const transactions = (await h1.readFile('/var/lib/k8sprep-testhost/yum.log')).split('\n').filter(Boolean);
    expect(transactions.length).toBeGreaterThanOrEqual(3);
    expect(transactions.filter((t) => !/ repos=(.*,)?centos-sclo-rh(,|$)/.test(t))).toEqual([]);
  });

  test('kube-proxy in iptables mode: the conntrack tool (kubeadm and kube-proxy need it), no ipset or ipvsadm, no ip_vs modules', async () => {
    expect((await h1.exec(['rpm', '-q', 'conntrack-tools'])).code).toBe(0);
    expect((await h1.exec(['rpm', '-q', 'ipset'])).code).toBe(1);
    expect((await h1.exec(['rpm', '-q', 'ipvsadm'])).code).toBe(1);
    expect(await h1.readFile('/etc/modules-load.d/k8s.conf')).toBe('overlay\nbr_netfilter\nnf_conntrack_ipv4\n');
  });

  test('chronyd not synchronised: preflight warns and reports the time_sync fact for the summary; the host is prepared all the same', () => {
    const log = first.logs.h1?.split('\n') ?? [];
    expect(log).toContain('::k8sprep-fact:: time_sync unsynchronised');
    expect(log).toContain(
      '[stderr] k8sprep: warning: chronyd has not synchronised the clock (chronyc tracking: Leap status: Not synchronised): certificates, tokens and etcd need a true clock; check that its time sources are reachable (chronyc sources)',
    );
    expect(report(first.summary, 'h1').status).toBe('ok');
  });

  test(
    "after h2's reboot: its stale sync database stops containerd-install with what to do; h1 changes nothing (firewalld still stopped)",
    async () => {
      // The reboot, as far as the host can tell: the running kernel's modules are there again.
      await h2.exec([
        'sh',
        '-c',
        `mkdir -p /lib/modules/${KERNEL} && cp /usr/lib/k8sprep-testhost/modules.dep /usr/lib/k8sprep-testhost/modules.builtin /lib/modules/${KERNEL}/`,
      ]);
      const { code, summary } = await prep(fleet, yamlFor('iptables'));
      expect(code).toBe(1);
      const r1 = report(summary, 'h1');
      expect([r1.status, r1.steps.length, r1.steps.filter((s) => s.status !== 'unchanged')]).toEqual(['ok', CENTOS_STEPS.length, []]);
      const r2 = report(summary, 'h2');
      expect([r2.status, r2.failedStep, statuses(r2)['time-sync'], statuses(r2)['proxy-tools']]).toEqual([
        'failed',
        'containerd-install',
        'changed',
        'changed',
      ]);
      expect(r2.stderrTail).toContain(
        "k8sprep: pacman's sync database is older than its mirror (containerd-2.0.1-1-x86_64.pkg.tar.zst is gone from it: 404). Arch supports no partial upgrades, so k8sprep installs from the database as it is and never refreshes it alone: upgrade the host (pacman -Syu, then reboot if it brought a new kernel) and run k8sprep again",
      );
      expect((await h2.exec(['pacman', '-Q', 'containerd'])).code).toBe(1);
      // Never a refresh of the database alone.
      expect((await callsOf(h2, 'pacman')).filter((c) => c.some((a) => /^-[A-Za-z]*y/.test(a)))).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );

  test(
    'the operator upgrades h2 (pacman -Syu): the next run finishes it',
    async () => {
      expect((await h2.exec(['pacman', '-Syu', '--noconfirm'])).code).toBe(0);
      const { code, summary } = await prep(fleet, yamlFor('iptables'));
      expect([code, report(summary, 'h2').status]).toEqual([0, 'ok']);
      expect((await h2.exec(['pacman', '-Q', 'containerd'])).stdout).toBe('containerd 2.0.2-1\n');
    },
    RUN_TIMEOUT_MS,
  );

  test(
    'proxyMode changed to ipvs: the module list grows and ipset and ipvsadm come; nothing else changes',
    async () => {
      const { code, summary } = await prep(fleet, yamlFor('ipvs'));
      expect(code).toBe(0);
      for (const host of [h1, h2]) {
        const changed = report(summary, host.name)
          .steps.filter((s) => s.status === 'changed')
          .map((s) => s.id);
        expect([host.name, changed]).toEqual([host.name, ['kernel-modules', 'proxy-tools']]);
      }
      expect(await h1.readFile('/etc/modules-load.d/k8s.conf')).toBe('overlay\nbr_netfilter\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\nnf_conntrack_ipv4\n');
      expect((await h1.exec(['rpm', '-q', 'ipset', 'ipvsadm'])).code).toBe(0);
      expect((await h2.exec(['pacman', '-Q', 'ipset', 'ipvsadm'])).code).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );

  test("h1's next boot: firewalld starts with the rules in force", async () => {
    await h1.exec(['systemctl', 'start', 'firewalld']);
    expect((await h1.exec(['firewall-cmd', '--list-ports'])).stdout).toBe(`${PORTS.join(' ')}\n`);
    expect((await h1.exec(['firewall-cmd', '--zone=trusted', '--list-sources'])).stdout).toBe('10.244.0.0/16 10.96.0.0/12\n');
    expect((await h1.exec(['firewall-cmd', '--query-rich-rule=rule protocol value="4" accept'])).code).toBe(0);
  });
});

describe('failures: a package install, a corrupted release binary, an unsupported OS version, a cloned machine', () => {
  let fleet: TestFleet;
  let mirror: BinaryMirror;
  beforeAll(async () => {
    fleet = await startTestHosts([
      { name: 'f1', os: 'centos7' },
      { name: 'f2', os: 'arch' },
      { name: 'f3', os: 'centos7', identity: { id: 'centos', versionId: '8', prettyName: 'CentOS Linux 8' } },
      { name: 'f4', os: 'arch', archRepoKubeVersion: OTHER_ARCH_REPO_VERSION },
    ]);
    // The kubelet arrives damaged: its bytes do not match the published sha256.
    mirror = await startBinaryMirror(fleet, VERSION, { corrupt: ['kubelet'] });
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await mirror?.close();
    await fleet?.stop();
  });

  test(
    "the failing host is reported with its step and the package manager's message; the others finish",
    async () => {
      const f1 = fleet.host('f1');
      const f3 = fleet.host('f3');
      const message =
        'https://mirrors.aliyun.com/docker-ce/linux/centos/7/x86_64/stable/Packages/containerd.io-1.6.33-3.1.el7.x86_64.rpm: [Errno 14] curl#7 - "Failed to connect to mirrors.aliyun.com port 443"';
      await f1.injectFailure('package-install', 'containerd.io', message);
      const untouched = await f3.fileSnapshot(SYSTEM);

      const { code, summary } = await prep(fleet, fleet.clusterYaml({ version: VERSION, spec: { mirrors: { binaries: mirror.url } } }));
      expect([code, summary.ok]).toEqual([1, false]);

      const r1 = report(summary, 'f1');
      expect([r1.status, r1.failedStep]).toEqual(['failed', 'containerd-install']);
      expect(r1.error).toMatch(/in step containerd-install/);
      expect(r1.stderrTail).toContain(message);
      const s1 = statuses(r1);
      expect(s1['proxy-tools']).toBe('changed');
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
      const prep3 = r3.steps.filter((s) => s.phase === 'prep');
      expect([prep3.length, prep3.filter((s) => s.status !== 'not-run')]).toEqual([CENTOS_STEPS.length - 1, []]);
      expect(await f3.fileSnapshot(SYSTEM)).toEqual(untouched);
      // Only reads: the kernel's name and chronyd's sync state.
      expect((await f3.calls()).map((c) => c.join(' ')).filter((c) => !c.startsWith('uname ') && c !== 'chronyc tracking')).toEqual([]);

      // f4 needs the release binaries; the corrupted kubelet is refused by its checksum before
      // any of them (or their pacman dependencies) is installed.
      const f4 = fleet.host('f4');
      const r4 = report(summary, 'f4');
      const kubelet = `${mirror.url}/release/v${VERSION}/bin/linux/amd64/kubelet`;
      expect([r4.status, r4.failedStep]).toEqual(['failed', 'kubernetes-packages']);
      expect(r4.error).toMatch(/in step kubernetes-packages/);
      expect(r4.stderrTail).toContain(
        `k8sprep: ${kubelet} does not match its published sha256 checksum (${kubelet}.sha256): refusing to install it (a corrupted download or a bad mirror)`,
      );
      const s4 = statuses(r4);
      expect([s4.preflight, s4.containerd, s4['kubernetes-packages'], s4.crictl, s4.images]).toEqual(['unchanged', 'changed', 'failed', 'not-run', 'not-run']);
      for (const path of [
        '/usr/local/bin/kubeadm',
        '/usr/local/bin/kubelet',
        '/usr/local/bin/kubectl',
        '/etc/systemd/system/kubelet.service',
        '/etc/systemd/system/kubelet.service.d',
      ]) {
        expect([path, await f4.exists(path)]).toEqual([path, false]);
      }
      expect((await callsOf(f4, 'pacman')).filter((c) => c.includes('socat') || (c.includes('kubelet') && c[0] === '-S'))).toEqual([]);
      expect(mirror.requests.map((q) => q.from)).toEqual(Array(mirror.requests.length).fill(f4.address));
      expect(mirror.requests.map((q) => q.path.split('/').at(-1))).toEqual(['kubeadm.sha256', 'kubeadm', 'kubeadm.sha256', 'kubelet', 'kubelet.sha256']);
    },
    RUN_TIMEOUT_MS,
  );

  test(
    'a machine-id shared by two hosts fails both in preflight, naming each other, and nothing changes',
    async () => {
      const f1 = fleet.host('f1');
      const f2 = fleet.host('f2');
      await f1.clearFailures();
      // A clone: f2 gets f1's machine-id.
      const id = (await f1.readFile('/etc/machine-id')).trim();
      await f2.exec(['sh', '-c', 'cat >/etc/machine-id'], { input: `${id}\n` });
      const before = await Promise.all([f1.fileSnapshot(SYSTEM), f2.fileSnapshot(SYSTEM)]);

      const { code, summary } = await prep(fleet, fleet.clusterYaml({ version: VERSION, only: ['f1', 'f2'] }));
      expect(code).toBe(1);
      for (const [host, other] of [
        ['f1', 'f2'],
        ['f2', 'f1'],
      ] as const) {
        const r = report(summary, host);
        expect(r.status).toBe('failed');
        expect(r.error).toContain(`preflight: machine-id ${id} is also ${other}'s`);
        const prepSteps = r.steps.filter((s) => s.phase === 'prep');
        expect([host, prepSteps.length, prepSteps.filter((s) => s.status !== 'not-run')]).toEqual([
          host,
          host === 'f1' ? CENTOS_STEPS.length - 1 : ARCH_STEPS.length - 1,
          [],
        ]);
      }
      expect(await Promise.all([f1.fileSnapshot(SYSTEM), f2.fileSnapshot(SYSTEM)])).toEqual(before);
    },
    RUN_TIMEOUT_MS,
  );

  test(
    'a third-party repository yum cannot read is named by preflight, with its file, before anything changes',
    async () => {
      const f1 = fleet.host('f1');
      await put(
        f1,
        '/etc/yum.repos.d/internal.repo',
        '[internal]\nname=Internal packages\nbaseurl=http://repo.corp.invalid/el7/$basearch/\nenabled=1\ngpgcheck=0\n',
      );
      const before = await f1.fileSnapshot(SYSTEM);
      const { code, summary } = await prep(fleet, fleet.clusterYaml({ version: VERSION, only: ['f1'] }));
      expect(code).toBe(1);
      const r = report(summary, 'f1');
      expect([r.status, r.failedStep]).toEqual(['failed', 'preflight']);
      expect(r.stderrTail).toContain(
        'k8sprep: preflight: yum cannot read repository internal (/etc/yum.repos.d/internal.repo): http://repo.corp.invalid/el7/x86_64/repodata/repomd.xml: [Errno 14] curl#6 - "Could not resolve host: repo.corp.invalid; Unknown error"; fix its baseurl or set enabled=0 there, then run again',
      );
      expect(await f1.fileSnapshot(SYSTEM)).toEqual(before);
    },
    RUN_TIMEOUT_MS,
  );
});
