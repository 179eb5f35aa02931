/**
 * The test-host harness itself: three hosts (two CentOS 7, one Arch) reached with the real
 * OpenSSH client, their identities, isolation from the real machine and from each other,
 * the stand-ins' state, call log, failure injection and blocking, and a clean stop.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { run } from './proc.js';
import { startTestHosts, type TestFleet, type TestHost } from './index.js';

let fleet: TestFleet;
let cp1: TestHost;
let cp2: TestHost;
let arch1: TestHost;

beforeAll(async () => {
  fleet = await startTestHosts([
    { name: 'cp1', os: 'centos7' },
    { name: 'cp2', os: 'centos7', sudo: 'password' },
    { name: 'arch1', os: 'arch' },
  ]);
  [cp1, cp2, arch1] = fleet.hosts as [TestHost, TestHost, TestHost];
});

afterAll(async () => {
  await fleet?.stop();
});

/** The real ssh client, verifying host keys against the fleet's known_hosts. */
function ssh(host: TestHost, user: string, command: string, input = '') {
  const key = join(fleet.home, '.ssh', 'id_ed25519');
  return run(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-i',
      key,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${join(fleet.home, '.ssh', 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=5',
      `${user}@${host.address}`,
      command,
    ],
    { input },
  );
}

test('every host answers ssh as root with a verified host key, with its own identity', async () => {
  const seen = { machineIds: new Set<string>(), macs: new Set<string>() };
  for (const [host, id, kernel] of [
    [cp1, 'centos', '3.10.0-1160.119.1.el7.x86_64'],
    [cp2, 'centos', '3.10.0-1160.119.1.el7.x86_64'],
    [arch1, 'arch', '6.12.10-arch1-1'],
  ] as const) {
    const r = await ssh(
      host,
      'root',
      '. /etc/os-release; echo "$ID|${VERSION_ID:-}|$(hostname)|$(uname -r)|$(cat /etc/machine-id)|$(cat /sys/class/net/eth0/address)"',
    );
    expect(r.stderr).toBe('');
    const [gotId, version, hostname, gotKernel, machineId, mac] = r.stdout.trim().split('|');
    expect([gotId, hostname, gotKernel]).toEqual([id, host.name, kernel]);
    expect(version).toBe(id === 'centos' ? '7' : '');
    seen.machineIds.add(machineId!);
    seen.macs.add(mac!);
  }
  expect(seen.machineIds.size).toBe(3);
  expect(seen.macs.size).toBe(3);
  expect(await arch1.readFile('/etc/os-release')).toMatch(/^BUILD_ID=rolling$/m);
  expect(await cp1.readFile('/usr/lib/os-release')).toMatch(/^PRETTY_NAME="CentOS Linux 7 \(Core\)"$/m);
});

test('admin logs in with the key; sudo -n works for NOPASSWD, sudo -S needs the password', async () => {
  const ok = await ssh(cp1, 'admin', 'id -un; sudo -n true && echo sudo-ok; rpm -q bash');
  expect(ok.stdout).toBe('admin\nsudo-ok\nbash-4.2.46-35.el7_9.x86_64\n');
  expect(ok.stderr).toBe('');
  const needs = await ssh(cp2, 'admin', 'sudo -n true 2>/dev/null || echo refused; sudo -S -p "" id -u', `${fleet.password}\n`);
  expect(needs.stdout).toBe('refused\n0\n');
});

test('writes stay inside the host', async () => {
  const r = await ssh(cp1, 'root', 'echo probe >/etc/k8sprep-harness-probe && cat /etc/k8sprep-harness-probe');
  expect(r.stdout).toBe('probe\n');
  expect(existsSync('/etc/k8sprep-harness-probe')).toBe(false);
  expect(await cp2.exists('/etc/k8sprep-harness-probe')).toBe(false);
  expect(await cp1.readFile('/etc/k8sprep-harness-probe')).toBe('probe\n');
  const snap = await cp1.fileSnapshot(['/etc/k8sprep-harness-probe']);
  expect(snap.get('/etc/k8sprep-harness-probe')).toMatch(/^file 0644 0:0 sha256:[0-9a-f]{64}$/);
});

test('a snapshot changes with writes, not with reads', async () => {
  const before = await cp2.fileSnapshot();
  await ssh(cp2, 'root', 'rpm -q bash; systemctl is-active sshd; sysctl -n vm.swappiness; cat /etc/fstab');
  expect(await cp2.fileSnapshot()).toEqual(before);
  await ssh(cp2, 'root', "sed -i 's/^\\(.*swap.*\\)$/# \\1/' /etc/fstab && chmod 600 /etc/selinux/config && rm /etc/hostname");
  const after = await cp2.fileSnapshot();
  const changed = [...after].filter(([p, d]) => before.get(p) !== d).map(([p]) => p);
  expect(changed.sort()).toEqual(['/etc/fstab', '/etc/hostname', '/etc/selinux/config']);
  expect(after.get('/etc/hostname')).toBe('deleted');
  expect(after.get('/etc/selinux/config')).toMatch(/^file 0600 0:0 /);
});

test('hosts reach each other over ssh port 22', async () => {
  const r = await cp1.exec(['bash', '-c', `exec 3<>/dev/tcp/${arch1.address}/22 && head -c 4 <&3`]);
  expect(r.stdout).toBe('SSH-');
});

test('stand-ins keep state: rpm, yum install, systemctl, sysctl, swap, modules', async () => {
  let r = await ssh(cp1, 'root', 'rpm -q containerd.io; echo "rc=$?"; rpm -q chrony');
  expect(r.stdout).toBe('package containerd.io is not installed\nrc=1\nchrony-3.4-1.el7.x86_64\n');

  // CentOS 7 is end-of-life: the stock repos are dead until pointed at the vault.
  r = await ssh(cp1, 'root', 'yum install -y ipvsadm');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Cannot find a valid baseurl for repo: base\/7\/x86_64/);
  await ssh(
    cp1,
    'root',
    "sed -i 's|^mirrorlist=.*repo=\\([a-z]*\\).*|baseurl=https://mirrors.aliyun.com/centos-vault/7.9.2009/\\1/$basearch/|' /etc/yum.repos.d/CentOS-Base.repo",
  );
  r = await ssh(cp1, 'root', 'yum install -y -q ipvsadm && rpm -q ipvsadm && command -v ipvsadm');
  expect(r.stdout).toBe('ipvsadm-1.27-8.el7.x86_64\n/usr/sbin/ipvsadm\n');
  r = await ssh(cp1, 'root', 'yum install -y --setopt=skip_missing_names_on_install=False containerd.io');
  expect(r.code).toBe(1); // no docker-ce repo yet
  expect(r.stdout).toMatch(/No package containerd.io available/);

  r = await ssh(cp1, 'root', 'systemctl is-active containerd; systemctl enable --now chronyd && systemctl is-active chronyd && systemctl is-enabled chronyd');
  expect(r.stdout).toBe('inactive\nactive\nenabled\n');
  r = await ssh(cp1, 'root', 'systemctl start containerd');
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/Unit containerd.service not found/);

  r = await ssh(
    arch1,
    'root',
    'pacman -S --needed --noconfirm containerd kubeadm >/dev/null && pacman -Q containerd runc kubeadm && containerd --version && kubeadm version -o short && systemctl enable --now containerd && systemctl is-active containerd',
  );
  expect(r.stdout).toBe(
    'containerd 2.0.2-1\nrunc 1.2.4-1\nkubeadm 1.34.2-1\ncontainerd github.com/containerd/containerd/v2 v2.0.2 c507a0257ea6462fbd6f5ba4f5c74facb04021f4\nv1.34.2\nactive\n',
  );

  r = await ssh(
    arch1,
    'root',
    [
      "grep -c '^\\[zram0\\]' /etc/systemd/zram-generator.conf",
      "systemctl list-units --all --plain --no-legend 'systemd-zram-setup@*' | awk '{print $1, $3}'",
      "systemctl list-units --type swap --state active --plain --no-legend | awk '{print $1}'",
      'swapon --show=NAME --noheadings; swapoff -a; swapon --show',
      'systemctl list-units --type swap --state active --plain --no-legend | wc -l',
    ].join('; '),
  );
  expect(r.stdout).toBe('1\nsystemd-zram-setup@zram0.service active\ndev-zram0.swap\nswapfile.swap\n/dev/zram0\n/swapfile\n0\n');

  r = await ssh(
    cp1,
    'root',
    [
      'sysctl -n net.bridge.bridge-nf-call-iptables 2>&1; echo "rc=$?"',
      'modprobe nf_conntrack_ipv4 && modprobe br_netfilter && lsmod | grep -c -e ^br_netfilter -e ^nf_conntrack_ipv4',
      'printf "net.ipv4.ip_forward = 1\\nnet.ipv4.tcp_rmem = 4096 12582912 16777216\\n" >/etc/sysctl.d/99-k8s.conf && sysctl --system >/dev/null',
      'sysctl -n net.ipv4.ip_forward net.ipv4.tcp_rmem net.bridge.bridge-nf-call-iptables',
    ].join('; '),
  );
  expect(r.stdout).toBe(
    'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\nrc=255\n2\n1\n4096\t12582912\t16777216\n1\n',
  );
  expect((await arch1.exec(['modprobe', 'nf_conntrack_ipv4'])).stderr).toBe(
    'modprobe: FATAL: Module nf_conntrack_ipv4 not found in directory /lib/modules/6.12.10-arch1-1\n',
  );
  // The real machine's kernel settings are not the host's.
  expect((await run('sysctl', ['-n', 'net.ipv4.tcp_rmem'])).stdout).not.toBe('4096\t12582912\t16777216\n');

  r = await ssh(
    cp1,
    'root',
    'getenforce; setenforce 0; getenforce; firewall-cmd --state; firewall-cmd --permanent --add-port=6443/tcp; firewall-cmd --list-ports; firewall-cmd --reload; firewall-cmd --list-ports',
  );
  expect(r.stdout).toBe('Enforcing\nPermissive\nrunning\nsuccess\n\nsuccess\n6443/tcp\n');

  // Rich rules: kept per layer like ports; a protocol must be a number or an /etc/protocols name.
  const ipip = `'rule protocol value="4" accept'`;
  r = await ssh(
    cp1,
    'root',
    `firewall-cmd --permanent --add-rich-rule=${ipip}; firewall-cmd --query-rich-rule=${ipip}; echo "rc=$?"; firewall-cmd --reload; ` +
      `firewall-cmd --query-rich-rule=${ipip}; firewall-cmd --list-rich-rules; firewall-cmd --permanent --add-rich-rule='rule protocol value="ipencap" accept'; ` +
      `firewall-cmd --permanent --add-rich-rule='rule protocol value="no-such" accept'; echo "rc=$?"; firewall-cmd --permanent --list-rich-rules`,
  );
  expect(r.stdout).toBe(
    [
      'success',
      'no',
      'rc=1',
      'success',
      'yes',
      'rule protocol value="4" accept',
      'success',
      'rc=103',
      'rule protocol value="4" accept',
      'rule protocol value="ipencap" accept',
      '',
    ].join('\n'),
  );
  expect(r.stderr).toContain('Error: INVALID_PROTOCOL: no-such');
});

test('calls are recorded', async () => {
  await ssh(cp2, 'root', 'systemctl is-active --quiet firewalld; sysctl -n "vm.swappiness"');
  const calls = await cp2.calls();
  expect(calls).toContainEqual(['systemctl', 'is-active', '--quiet', 'firewalld']);
  expect(calls).toContainEqual(['sysctl', '-n', 'vm.swappiness']);
  expect(await cp1.calls()).not.toContainEqual(['sysctl', '-n', 'vm.swappiness']);
});

test('an injected install failure fails the install with its message', async () => {
  await arch1.injectFailure('package-install', 'ipset', 'error: failed retrieving file ipset-7.23-1-x86_64.pkg.tar.zst');
  const r = await ssh(arch1, 'root', 'pacman -S --needed --noconfirm ipset');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/failed retrieving file ipset/);
  expect((await arch1.exec(['pacman', '-Q', 'ipset'])).code).toBe(1);
  await arch1.clearFailures();
  expect((await ssh(arch1, 'root', 'pacman -S --needed --noconfirm ipset >/dev/null && pacman -Q ipset')).stdout).toBe('ipset 7.23-1\n');
});

test('a blocked stand-in holds a session until released, and stopSshd kills it', async () => {
  const block = await cp2.block('modprobe');
  const session = ssh(cp2, 'root', 'modprobe overlay && echo loaded');
  await block.waitUntilBlocked();
  await cp2.stopSshd();
  const r = await session;
  expect(r.code).toBe(255); // the connection died
  expect(r.stdout).toBe('');
  expect((await cp2.exec(['lsmod'])).stdout).not.toMatch(/^overlay /m);
  await block.release();
  await cp2.startSshd();
  expect((await ssh(cp2, 'root', 'modprobe overlay && echo loaded')).stdout).toBe('loaded\n');
});

test('identities can be overridden for refusal tests, and fleets run side by side', async () => {
  const third = process.pid % 256;
  const other = await startTestHosts(
    [
      { name: 'c8', os: 'centos7', identity: { id: 'centos', versionId: '8', prettyName: 'CentOS Linux 8' }, kernel: '4.18.0-553.el8_10.x86_64' },
      { name: 'u22', os: 'arch', identity: { id: 'ubuntu', versionId: '22.04' } },
    ],
    { subnet: `127.78.${third}.0/24` }, // explicit; per process, so parallel runs do not collide
  );
  try {
    expect(other.hosts.map((h) => h.address)).toEqual([`127.78.${third}.11`, `127.78.${third}.12`]);
    const [c8, u22] = other.hosts as [TestHost, TestHost];
    expect((await c8.exec(['bash', '-c', '. /etc/os-release; echo "$ID $VERSION_ID $PRETTY_NAME $(uname -r)"'])).stdout).toBe(
      'centos 8 CentOS Linux 8 4.18.0-553.el8_10.x86_64\n',
    );
    expect((await u22.exec(['bash', '-c', '. /etc/os-release; echo "$ID $VERSION_ID"'])).stdout).toBe('ubuntu 22.04\n');
    expect((await ssh(cp1, 'root', 'hostname')).stdout).toBe('cp1\n'); // the first fleet is untouched
  } finally {
    await other.stop();
  }
});

test('clusterYaml describes the fleet', () => {
  const doc = parse(fleet.clusterYaml({ name: 'demo', version: '1.30.6', spec: { firewall: 'disable' }, hosts: { arch1: { os: undefined } } }));
  expect(doc.metadata.name).toBe('demo');
  expect(doc.spec.kubernetes.version).toBe('1.30.6');
  expect(doc.spec.firewall).toBe('disable');
  expect(doc.spec.hosts).toEqual([
    { name: 'cp1', address: cp1.address, roles: ['control-plane'], os: 'centos7' },
    { name: 'cp2', address: cp2.address, roles: ['worker'], os: 'centos7' },
    { name: 'arch1', address: arch1.address, roles: ['worker'] },
  ]);
});

test('stop leaves no process, mount, link or directory behind', async () => {
  const pidns = new Set(fleet.hosts.map((h) => readlinkSync(`/proc/${h.initPid}/ns/pid`)));
  const bridge = (await run('ip', ['-o', 'addr', 'show', 'to', fleet.subnet])).stdout.split(':')[1]?.trim();
  expect(bridge).toMatch(/^k8sth-/);
  await fleet.stop();
  const left = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return pidns.has(readlinkSync(`/proc/${p}/ns/pid`));
      } catch {
        return false;
      }
    });
  expect(left).toEqual([]);
  expect((await run('findmnt', ['-rn', '-o', 'TARGET'])).stdout).not.toMatch(/k8sprep-th/);
  expect((await run('ip', ['-o', 'link', 'show'])).stdout).not.toContain(bridge!);
  expect((await run('ip', ['netns', 'list'])).stdout).not.toMatch(/k8sprep-th/);
  expect(existsSync(fleet.home)).toBe(false);
});
