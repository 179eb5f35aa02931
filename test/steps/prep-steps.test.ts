/**
 * What each host-preparation step renders, per OS, role and cluster option: the files and
 * commands an operator would check by hand (DESIGN §4).
 */
import { prepPhase } from '../../src/actions/prep.js';
import { cluster, functionBody, OSES, stepText } from './fixtures.js';

const check = (text: string, id: string) => functionBody(text, `k8sprep_step_${id.replace(/-/g, '_')}_check`);
const apply = (text: string, id: string) => functionBody(text, `k8sprep_step_${id.replace(/-/g, '_')}_apply`);

test('prep order: guard, identity, kernel settings, repositories, then packages from least to most dependent', () => {
  expect(prepPhase.steps.map((s) => s.id)).toEqual([
    'os-release',
    'hostname',
    'swap',
    'selinux',
    'firewall',
    'kernel-modules',
    'sysctl',
    'base-repos',
    'package-repos',
    'time-sync',
    'ipvs-tools',
    'containerd-install',
    'containerd',
    'kubernetes-packages',
    'crictl',
    'images',
  ]);
});

describe('hostname', () => {
  const text = stepText(cluster(), 'w1', 'hostname');
  test('the node name, now (kernel) and at boot (/etc/hostname)', () => {
    expect(check(text, 'hostname')).toMatch(/^\[ "\$\(uname -n\)" = w1 \] \|\| return 1\nk8sprep_file_matches \/etc\/hostname 644 <<'K8SPREP_EOF' \|\| return 1\nw1\nK8SPREP_EOF\n/);
    expect(apply(text, 'hostname')).toContain("k8sprep_write_file /etc/hostname 644 <<'K8SPREP_EOF'\nw1\nK8SPREP_EOF");
    expect(apply(text, 'hostname')).toContain("printf '%s\\n' w1 >/proc/sys/kernel/hostname");
  });
  test('a marked /etc/hosts block with every host addressed by IP (DNS-named hosts are left to DNS), replacing the old block', () => {
    const block = '# BEGIN k8sprep cluster steps: written by k8sprep, replaced on every run\n192.168.77.11 cp1\n192.168.77.12 cp2\n192.168.77.21 w1\n# END k8sprep cluster steps\n';
    expect(check(text, 'hostname')).toContain(`k8sprep_hosts_block_matches <<'K8SPREP_EOF'\n${block}K8SPREP_EOF`);
    expect(apply(text, 'hostname')).toContain(
      `{ sed '/^# BEGIN k8sprep cluster/,/^# END k8sprep cluster/d' /etc/hosts 2>/dev/null || true; cat; } <<'K8SPREP_EOF' | k8sprep_write_file /etc/hosts "$mode"\n${block}K8SPREP_EOF`,
    );
  });
});

describe('swap', () => {
  test('Arch: zram-generator config emptied (backed up), then every zram setup unit and swap unit stopped and masked', () => {
    const text = apply(stepText(cluster({ os: 'arch' }), 'w1', 'swap'), 'swap');
    expect(text).toContain("  printf '%s\\n' '# zram swap disabled by k8sprep: the kubelet needs swap off' | k8sprep_write_file /etc/systemd/zram-generator.conf 644");
    expect(text).toContain(
      [
        'for unit in $( {',
        "  systemctl list-units --all --plain --no-legend 'systemd-zram-setup@*'",
        '  systemctl list-units --type swap --all --plain --no-legend',
        "} 2>/dev/null | awk '{print $1}'); do",
        '  systemctl stop "$unit" && systemctl mask "$unit"',
        'done',
      ].join('\n'),
    );
  });
  test('CentOS: swapoff and fstab only', () => {
    const text = apply(stepText(cluster(), 'w1', 'swap'), 'swap');
    expect(text.split('\n')[0]).toBe('swapoff -a');
    expect(text).not.toMatch(/zram|systemctl/);
  });
});

describe('selinux', () => {
  test('CentOS: setenforce 0 and SELINUX=permissive in /etc/selinux/config (backed up)', () => {
    const text = stepText(cluster(), 'cp1', 'selinux');
    expect(apply(text, 'selinux')).toBe(
      [
        'if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then setenforce 0; fi',
        "if [ -f /etc/selinux/config ] && grep -Eq '^[[:space:]]*SELINUX=enforcing' /etc/selinux/config; then",
        '  k8sprep_backup /etc/selinux/config',
        "  sed -Ei 's/^[[:space:]]*SELINUX=enforcing/SELINUX=permissive/' /etc/selinux/config",
        'fi',
      ].join('\n'),
    );
  });
  test('Arch has no SELinux: no step', () => {
    expect(stepText(cluster({ os: 'arch' }), 'cp1', 'selinux')).toBe('');
  });
});

describe('firewall', () => {
  const ports = (text: string) => /for item in ([^;]+); do\n {2}firewall-cmd --permanent --add-port/.exec(apply(text, 'firewall'))?.[1]?.split(' ');
  test('control plane, calico: kubeadm ports, kube-proxy health, NodePorts, BGP, VXLAN and Typha', () => {
    expect(ports(stepText(cluster(), 'cp1', 'firewall'))).toEqual([
      '10250/tcp',
      '10256/tcp',
      '30000-32767/tcp',
      '6443/tcp',
      '2379-2380/tcp',
      '10257/tcp',
      '10259/tcp',
      '179/tcp',
      '4789/udp',
      '5473/tcp',
    ]);
  });
  test("calico: IP-in-IP is IP protocol 4 (/etc/protocols' ipencap; its ipip is 94), accepted by a rich rule, checked in both layers", () => {
    const text = stepText(cluster(), 'w1', 'firewall');
    expect(apply(text, 'firewall')).toContain(
      `firewall-cmd --permanent --add-rich-rule='rule protocol value="4" accept' >/dev/null\nfirewall-cmd --reload >/dev/null`,
    );
    expect(check(text, 'firewall').split('\n').at(-1)).toBe(
      `  firewall-cmd --permanent --query-rich-rule='rule protocol value="4" accept' >/dev/null && firewall-cmd --query-rich-rule='rule protocol value="4" accept' >/dev/null`,
    );
    expect(text).not.toMatch(/ipip/);
  });
  test('worker, flannel: kubelet, kube-proxy, NodePorts and flannel VXLAN only; no rich rule', () => {
    const text = stepText(cluster({ cni: 'flannel' }), 'w1', 'firewall');
    expect(ports(text)).toEqual(['10250/tcp', '10256/tcp', '30000-32767/tcp', '8472/udp']);
    expect(text).not.toContain('rich-rule');
  });
  test('pod and service networks trusted (forwarded pod traffic), permanent and reloaded; nothing when firewalld is not running', () => {
    const text = stepText(cluster(), 'w1', 'firewall');
    expect(apply(text, 'firewall')).toContain('for item in 10.244.0.0/16 10.96.0.0/12; do\n  firewall-cmd --permanent --zone=trusted --add-source="$item" >/dev/null\ndone\n');
    expect(apply(text, 'firewall').trim().split('\n').at(-1)).toBe('firewall-cmd --reload >/dev/null');
    expect(check(text, 'firewall')).toMatch(/^! systemctl is-active --quiet firewalld \|\| \{\n {2}k8sprep_has_all "\$\(firewall-cmd --permanent --list-ports\)" 10250\/tcp/);
    expect(check(text, 'firewall')).toContain('k8sprep_has_all "$(firewall-cmd --zone=trusted --list-sources)" 10.244.0.0/16 10.96.0.0/12');
  });
  test('firewall: disable stops and disables firewalld instead', () => {
    const text = stepText(cluster({ firewall: 'disable' }), 'cp1', 'firewall');
    expect(check(text, 'firewall')).toBe('! systemctl is-active --quiet firewalld && ! systemctl is-enabled --quiet firewalld 2>/dev/null');
    expect(apply(text, 'firewall')).toBe('systemctl disable --now firewalld');
  });
});

describe('base-repos (CentOS 7 is end-of-life)', () => {
  test.each([
    ['aliyun', 'https://mirrors.aliyun.com/centos-vault/7.9.2009'],
    ['upstream', 'https://vault.centos.org/7.9.2009'],
  ] as const)('%s: CentOS-Base.repo points at the vault, no mirrorlist', (packages, vault) => {
    const text = stepText(cluster({ packages }), 'cp1', 'base-repos');
    const body = apply(text, 'base-repos');
    expect(body).toContain("k8sprep_write_file /etc/yum.repos.d/CentOS-Base.repo 644 <<'K8SPREP_EOF'");
    for (const [id, dir] of [['base', 'os'], ['updates', 'updates'], ['extras', 'extras']] as const) {
      expect(body).toContain(`[${id}]\nname=CentOS-7.9.2009 - ${id[0]!.toUpperCase()}${id.slice(1)} (vault)\nbaseurl=${vault}/${dir}/$basearch/\nenabled=1\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7`);
    }
    expect(body).not.toContain('mirrorlist');
    expect(body).toContain('yum -q clean expire-cache >/dev/null');
  });
  test('Arch: no step', () => {
    expect(stepText(cluster({ os: 'arch' }), 'cp1', 'base-repos')).toBe('');
  });
});

describe('package-repos', () => {
  test.each([
    ['1.28.15', 'aliyun', 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.28/rpm'],
    ['1.30.6', 'aliyun', 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.30/rpm'],
    ['1.31.2', 'upstream', 'https://pkgs.k8s.io/core:/stable:/v1.31/rpm'],
    ['1.34.2', 'upstream', 'https://pkgs.k8s.io/core:/stable:/v1.34/rpm'],
  ] as const)('%s from %s: the repo of that minor, its packages excluded from casual updates', (version, packages, base) => {
    const body = apply(stepText(cluster({ version, packages }), 'w1', 'package-repos'), 'package-repos');
    const minor = version.split('.').slice(0, 2).join('.');
    expect(body).toContain(
      `[kubernetes]\nname=Kubernetes v${minor}\nbaseurl=${base}/\nenabled=1\ngpgcheck=1\ngpgkey=${base}/repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n`,
    );
    const docker = packages === 'aliyun' ? 'https://mirrors.aliyun.com/docker-ce/linux/centos' : 'https://download.docker.com/linux/centos';
    expect(body).toContain(`[docker-ce-stable]\nname=Docker CE Stable - $basearch\nbaseurl=${docker}/7/$basearch/stable\nenabled=1\ngpgcheck=1\ngpgkey=${docker}/gpg\n`);
  });
  test('Arch: no step (its own repositories)', () => {
    expect(stepText(cluster({ os: 'arch' }), 'cp1', 'package-repos')).toBe('');
  });
});

describe('time-sync', () => {
  test.each(OSES)('%s: chrony installed, competing daemons off, chronyd enabled and running', (os) => {
    const text = stepText(cluster({ os }), 'w1', 'time-sync');
    const other = os === 'centos7' ? 'ntpd' : 'systemd-timesyncd';
    const install = os === 'centos7' ? 'rpm -q chrony >/dev/null 2>&1 || yum install -y -q --setopt=skip_missing_names_on_install=False chrony' : 'pacman -Q chrony >/dev/null 2>&1 || pacman -S --needed --noconfirm chrony';
    expect(apply(text, 'time-sync')).toContain(install);
    expect(apply(text, 'time-sync')).toContain(`if systemctl is-active --quiet ${other} || systemctl is-enabled --quiet ${other} 2>/dev/null; then systemctl disable --now ${other}; fi`);
    expect(check(text, 'time-sync')).toContain(`! systemctl is-active --quiet ${other} && ! systemctl is-enabled --quiet ${other} 2>/dev/null &&\nsystemctl is-enabled --quiet chronyd &&\nsystemctl is-active --quiet chronyd`);
  });
  test.each([
    ['aliyun', 'ntp.aliyun.com'],
    ['upstream', 'pool.ntp.org'],
  ] as const)('%s: a chrony.conf without any time source gets `pool %s iburst`', (packages, pool) => {
    expect(apply(stepText(cluster({ packages }), 'w1', 'time-sync'), 'time-sync')).toContain(`'pool ${pool} iburst'; } | k8sprep_write_file /etc/chrony.conf 644`);
  });
});

describe('ipvs-tools', () => {
  test.each(OSES)('%s: ipset, ipvsadm, conntrack when proxyMode is ipvs (the default)', (os) => {
    const text = stepText(cluster({ os }), 'w1', 'ipvs-tools');
    expect(apply(text, 'ipvs-tools')).toBe(
      os === 'centos7' ? 'yum install -y -q --setopt=skip_missing_names_on_install=False ipset ipvsadm conntrack-tools' : 'pacman -S --needed --noconfirm ipset ipvsadm conntrack-tools',
    );
  });
  test('not with iptables or nftables', () => {
    expect(stepText(cluster({ proxyMode: 'iptables' }), 'w1', 'ipvs-tools')).toBe('');
    expect(stepText(cluster({ proxyMode: 'nftables', version: '1.31.2', os: 'arch' }), 'w1', 'ipvs-tools')).toBe('');
  });
});

describe('containerd-install', () => {
  test('CentOS 7: containerd.io (containerd and runc) from docker-ce; Arch: containerd and runc from extra', () => {
    expect(apply(stepText(cluster(), 'w1', 'containerd-install'), 'containerd-install')).toBe('yum install -y -q --setopt=skip_missing_names_on_install=False containerd.io');
    expect(apply(stepText(cluster({ os: 'arch' }), 'w1', 'containerd-install'), 'containerd-install')).toBe('pacman -S --needed --noconfirm containerd runc');
    expect(check(stepText(cluster(), 'w1', 'containerd-install'), 'containerd-install')).toBe(
      'rpm -q containerd.io >/dev/null 2>&1 && command -v containerd >/dev/null && command -v runc >/dev/null',
    );
  });
});

describe('crictl', () => {
  test.each(OSES)('%s: /etc/crictl.yaml has only keys crictl accepts, pointing at containerd', (os) => {
    const text = stepText(cluster({ os }), 'w1', 'crictl');
    const body = /<<'K8SPREP_EOF'\n([\s\S]*?)K8SPREP_EOF/.exec(apply(text, 'crictl'))?.[1] ?? '';
    const keys = body.split('\n').filter(Boolean).map((l) => l.split(':')[0]);
    const allowed = ['runtime-endpoint', 'image-endpoint', 'timeout', 'debug', 'pull-image-on-create', 'disable-pull-on-run'];
    expect(keys.every((k) => allowed.includes(k ?? ''))).toBe(true);
    expect(body).toBe('runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\ndebug: false\n');
    expect(apply(text, 'crictl')).toContain(
      os === 'centos7'
        ? 'command -v crictl >/dev/null 2>&1 || yum install -y -q --setopt=skip_missing_names_on_install=False --disableexcludes=kubernetes cri-tools'
        : 'command -v crictl >/dev/null 2>&1 || pacman -S --needed --noconfirm crictl',
    );
  });
});
