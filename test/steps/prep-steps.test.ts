/**
 * What each host-preparation step does, per OS, role and cluster option: its rendered script
 * run for real in a fixture root (fixture-root.ts: an overlay of this machine, fake commands
 * with state), asserting the files and calls it leaves and that a second run reports it
 * unchanged. The end-to-end versions on test hosts are in test/e2e/prep.test.ts.
 */
import { parse as parseYaml } from 'yaml';
import { prepPhase } from '../../src/actions/prep.js';
import { FAKE_STATE, installedPackages, PACMAN, packagesIn, provides, RPM, SYSTEMCTL, unitState, units, YUM } from './fakes.js';
import { FixtureRoot } from './fixture-root.js';
import { cluster, type ClusterOptions, OSES, stepScript } from './fixtures.js';
import { parseRepoFile } from './repo-ini.js';

const BACKUP = '/var/lib/k8sprep/backup/fixture-run';
/** Each OS's package manager, faked. */
const MANAGERS = { centos7: { rpm: RPM, yum: YUM }, arch: { pacman: PACMAN } } as const;

let roots: FixtureRoot[] = [];
function root(files: ConstructorParameters<typeof FixtureRoot>[0], commands: Record<string, string> = {}): FixtureRoot {
  const r = new FixtureRoot({ [`${FAKE_STATE}/.keep`]: '', ...files }, { systemctl: SYSTEMCTL, ...commands });
  // This machine's own copies (the real-tool tests install some) must not count as installed.
  r.hide(['containerd', 'runc', 'crictl', 'chronyd', 'firewall-cmd', 'firewall-offline-cmd']);
  roots.push(r);
  return r;
}
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
});

/** Runs `stepId` rendered for host `host` twice: the first run's result, and the second's status. */
function twice(r: FixtureRoot, options: ClusterOptions, host: string, stepId: string) {
  const script = stepScript(cluster(options), host, stepId);
  expect(script).not.toBe('');
  const first = r.run(script);
  const second = r.run(script);
  return { first, second: second.steps[stepId], secondResult: second };
}

describe('prep order: what each step needs is in place before it', () => {
  const order = prepPhase.steps.map((s) => s.id);
  test.each([
    ['hostname', 'swap', 'everything after it (and kubeadm) sees the final name'],
    ['kernel-modules', 'sysctl', 'net.bridge.* exists only once br_netfilter is loaded'],
    ['base-repos', 'package-repos', "CentOS 7's yum fails on every call until its dead mirrors are gone"],
    ['package-repos', 'time-sync', 'chrony is the first package installed'],
    ['time-sync', 'proxy-tools', 'packages after the repositories'],
    ['containerd-install', 'containerd', 'the config schema follows the installed containerd'],
    ['kubernetes-packages', 'crictl', 'CentOS installs crictl with kubeadm (cri-tools)'],
    ['crictl', 'images', 'the images step asks crictl what is pulled'],
    ['containerd', 'images', 'pulling needs containerd running'],
  ])('%s before %s (%s)', (first, then) => {
    expect(order.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(then)).toBeGreaterThan(order.indexOf(first));
  });
  test("the OS guard first, the image pulls last (kubeadm's images, then the addons')", () => {
    expect([order[0], ...order.slice(-2)]).toEqual(['os-release', 'images', 'addon-images']);
  });
});

describe('hostname', () => {
  const hosts = '127.0.0.1 localhost\n10.0.0.9 printer\n# BEGIN k8sprep cluster steps: old\n10.9.9.9 gone\n# END k8sprep cluster steps\n::1 localhost6\n';
  test('the node name now and at boot; /etc/hosts keeps its lines and gets the new block (hosts addressed by IP only)', () => {
    const r = root({ '/etc/hosts': { content: hosts, mode: 0o644 }, '/etc/hostname': 'localhost.localdomain\n' });
    const { first, second } = twice(r, {}, 'w1', 'hostname');
    expect([first.status, first.steps.hostname, second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.hostname()).toBe('w1');
    expect(r.read('/etc/hostname')).toBe('w1\n');
    expect(r.read('/etc/hosts')).toBe(
      '127.0.0.1 localhost\n10.0.0.9 printer\n::1 localhost6\n' +
        '# BEGIN k8sprep cluster steps: written by k8sprep, replaced on every run\n192.168.77.11 cp1\n192.168.77.12 cp2\n192.168.77.21 w1\n# END k8sprep cluster steps\n',
    );
    expect(r.read(`${BACKUP}/etc/hosts`)).toBe(hosts);
  });
});

describe('swap', () => {
  const fstab = '/dev/mapper/centos-root / xfs defaults 0 0\n/dev/mapper/centos-swap swap swap defaults 0 0\n#/dev/sdb1 swap swap defaults 0 0\n';
  /** swapon --show lists a swap device until swapoff -a ran. */
  const swapCommands = {
    swapoff: `[ "$1" = -a ] && touch ${FAKE_STATE}/swapped-off`,
    swapon: `[ -e ${FAKE_STATE}/swapped-off ] || echo /dev/dm-1`,
  };

  test('CentOS: off now (swapoff -a) and at boot (the fstab line commented, backed up); no zram or units', () => {
    const r = root({ '/etc/fstab': fstab }, swapCommands);
    const { first, second } = twice(r, {}, 'w1', 'swap');
    expect([first.status, first.steps.swap, second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/fstab')).toBe(fstab.replace('/dev/mapper/centos-swap', '# disabled by k8sprep: /dev/mapper/centos-swap'));
    expect(r.read(`${BACKUP}/etc/fstab`)).toBe(fstab);
    expect(r.callsOf('swapoff')).toEqual([['-a']]);
    expect(r.callsOf('systemctl')).toEqual([]);
  });

  test('Arch: zram-generator emptied (backed up), every zram setup and swap unit stopped and masked', () => {
    const zram = '[zram0]\nzram-size = ram / 2\n';
    const r = root(
      {
        '/etc/fstab': '# no swap here\n',
        '/etc/systemd/zram-generator.conf': zram,
        ...units({
          'systemd-zram-setup@zram0.service': 'static active',
          'dev-zram0.swap': 'static active',
          'swapfile.swap': 'enabled active',
          'sshd.service': 'enabled active',
        }),
      },
      swapCommands,
    );
    const { first, second } = twice(r, { os: 'arch' }, 'w1', 'swap');
    expect([first.status, first.steps.swap, second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/systemd/zram-generator.conf')).toBe('# zram swap disabled by k8sprep: the kubelet needs swap off\n');
    expect(r.read(`${BACKUP}/etc/systemd/zram-generator.conf`)).toBe(zram);
    for (const unit of ['systemd-zram-setup@zram0.service', 'dev-zram0.swap', 'swapfile.swap']) {
      expect([unit, unitState((p) => r.read(p), unit)]).toEqual([unit, 'masked inactive']);
    }
    expect(unitState((p) => r.read(p), 'sshd.service')).toBe('enabled active');
  });
});

describe('selinux', () => {
  const config = '# This file controls the state of SELinux on the system.\nSELINUX=enforcing\nSELINUXTYPE=targeted\n';
  const commands = {
    getenforce: `cat ${FAKE_STATE}/selinux`,
    setenforce: `[ "$1" = 0 ] && echo Permissive >${FAKE_STATE}/selinux`,
  };
  test('CentOS: permissive now (setenforce 0) and at boot (the config, backed up)', () => {
    const r = root({ '/etc/selinux/config': config, [`${FAKE_STATE}/selinux`]: 'Enforcing\n' }, commands);
    const { first, second } = twice(r, {}, 'cp1', 'selinux');
    expect([first.status, first.steps.selinux, second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/selinux/config')).toBe(config.replace('SELINUX=enforcing', 'SELINUX=permissive'));
    expect(r.read(`${BACKUP}/etc/selinux/config`)).toBe(config);
    expect(r.callsOf('setenforce')).toEqual([['0']]);
  });
  test('SELinux disabled is left as it is', () => {
    const disabled = config.replace('enforcing', 'disabled');
    const r = root({ '/etc/selinux/config': disabled, [`${FAKE_STATE}/selinux`]: 'Disabled\n' }, commands);
    expect(r.run(stepScript(cluster(), 'cp1', 'selinux')).steps.selinux).toBe('unchanged');
    expect(r.read('/etc/selinux/config')).toBe(disabled);
    expect(r.callsOf('setenforce')).toEqual([]);
  });
  test('Arch has no SELinux: no step', () => {
    expect(stepScript(cluster({ os: 'arch' }), 'cp1', 'selinux')).toBe('');
  });
});

/**
 * firewall-cmd / firewall-offline-cmd: fw/<layer>/<zone>/{ports,sources,rich}. firewall-cmd
 * needs the daemon (firewalld.service active); firewall-offline-cmd writes the permanent layer.
 */
const FIREWALL = String.raw`fw=${FAKE_STATE}/fw layer=runtime zone=public
if [ "${'$'}{0##*/}" = firewall-offline-cmd ]; then layer=permanent
elif ! grep -q ' active$' ${FAKE_STATE}/units/firewalld.service 2>/dev/null; then echo "FirewallD is not running"; exit 252; fi
for a in "$@"; do case $a in --permanent) layer=permanent ;; --zone=*) zone=${'$'}{a#*=} ;; esac; done
d=$fw/$layer/$zone
mkdir -p "$d"
touch "$d/ports" "$d/sources" "$d/rich"
for a in "$@"; do
  case $a in
    --add-port=*) grep -qxF "${'$'}{a#*=}" "$d/ports" || echo "${'$'}{a#*=}" >>"$d/ports" ;;
    --add-source=*) grep -qxF "${'$'}{a#*=}" "$d/sources" || echo "${'$'}{a#*=}" >>"$d/sources" ;;
    --add-rich-rule=*) grep -qxF "${'$'}{a#*=}" "$d/rich" || echo "${'$'}{a#*=}" >>"$d/rich" ;;
    --list-ports) paste -sd' ' "$d/ports"; [ -s "$d/ports" ] || echo ;;
    --list-sources) paste -sd' ' "$d/sources"; [ -s "$d/sources" ] || echo ;;
    --query-port=*) grep -qxF "${'$'}{a#*=}" "$d/ports" || exit 1 ;;
    --query-source=*) grep -qxF "${'$'}{a#*=}" "$d/sources" || exit 1 ;;
    --query-rich-rule=*) grep -qxF "${'$'}{a#*=}" "$d/rich" || exit 1 ;;
    --reload) rm -rf "$fw/runtime"; cp -a "$fw/permanent" "$fw/runtime" ;;
  esac
done`;

describe('firewall', () => {
  const commands = { 'firewall-cmd': FIREWALL, 'firewall-offline-cmd': FIREWALL };
  const layer = (r: FixtureRoot, name: string, zone: string, what: string) =>
    (r.read(`${FAKE_STATE}/fw/${name}/${zone}/${what}`) ?? '').split('\n').filter(Boolean);
  const CONTROL_PLANE_CALICO = [
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
  ];
  const IPIP = 'rule protocol value="4" accept';

  test("firewalld running, control plane, calico: the role's, NodePorts and calico's ports, IP-in-IP, pod and service networks trusted, permanent and runtime", () => {
    const r = root(units({ 'firewalld.service': 'enabled active' }), commands);
    const { first, second } = twice(r, {}, 'cp1', 'firewall');
    expect([first.status, first.steps.firewall, second]).toEqual([0, 'changed', 'unchanged']);
    for (const name of ['permanent', 'runtime']) {
      expect([name, layer(r, name, 'public', 'ports')]).toEqual([name, CONTROL_PLANE_CALICO]);
      expect([name, layer(r, name, 'public', 'rich')]).toEqual([name, [IPIP]]);
      expect([name, layer(r, name, 'trusted', 'sources')]).toEqual([name, ['10.244.0.0/16', '10.96.0.0/12']]);
    }
    expect(r.callsOf('firewall-offline-cmd')).toEqual([]);
  });

  test('what prep added is recorded for node reset --purge, and only that: a port open before is not', () => {
    const r = root({ ...units({ 'firewalld.service': 'enabled active' }), [`${FAKE_STATE}/fw/permanent/public/ports`]: '10250/tcp\n' }, commands);
    expect(r.run(stepScript(cluster({ cni: 'flannel' }), 'w1', 'firewall')).steps.firewall).toBe('changed');
    expect((r.read('/var/lib/k8sprep/prep/firewalld-added') ?? '').split('\n').filter(Boolean)).toEqual([
      '- port 10256/tcp',
      '- port 30000-32767/tcp',
      '- port 8472/udp',
      'trusted source 10.244.0.0/16',
      'trusted source 10.96.0.0/12',
    ]);
  });

  test('firewalld running, worker, flannel: kubelet, kube-proxy, NodePorts and VXLAN only; no rich rule', () => {
    const r = root(units({ 'firewalld.service': 'enabled active' }), commands);
    expect(r.run(stepScript(cluster({ cni: 'flannel' }), 'w1', 'firewall')).steps.firewall).toBe('changed');
    expect(layer(r, 'runtime', 'public', 'ports')).toEqual(['10250/tcp', '10256/tcp', '30000-32767/tcp', '8472/udp']);
    expect(layer(r, 'runtime', 'public', 'rich')).toEqual([]);
  });

  test('firewalld stopped but enabled: the permanent rules it starts with at the next boot, written offline; a second run unchanged', () => {
    const r = root(units({ 'firewalld.service': 'enabled inactive' }), commands);
    const { first, second } = twice(r, {}, 'cp1', 'firewall');
    expect([first.status, first.steps.firewall, second]).toEqual([0, 'changed', 'unchanged']);
    expect(layer(r, 'permanent', 'public', 'ports')).toEqual(CONTROL_PLANE_CALICO);
    expect(layer(r, 'permanent', 'public', 'rich')).toEqual([IPIP]);
    expect(layer(r, 'permanent', 'trusted', 'sources')).toEqual(['10.244.0.0/16', '10.96.0.0/12']);
    // firewall-cmd cannot work without the daemon, and the daemon stays stopped.
    expect(r.callsOf('firewall-cmd')).toEqual([]);
    expect(unitState((p) => r.read(p), 'firewalld.service')).toBe('enabled inactive');
  });

  test('firewalld stopped and disabled (or absent): nothing to open', () => {
    for (const files of [units({ 'firewalld.service': 'disabled inactive' }), {}]) {
      const r = root(files, commands);
      expect(r.run(stepScript(cluster(), 'cp1', 'firewall')).steps.firewall).toBe('unchanged');
      expect([...r.callsOf('firewall-cmd'), ...r.callsOf('firewall-offline-cmd')]).toEqual([]);
    }
  });

  test('firewall: disable stops and disables firewalld instead', () => {
    const r = root(units({ 'firewalld.service': 'enabled active' }), commands);
    const { first, second } = twice(r, { firewall: 'disable' }, 'cp1', 'firewall');
    expect([first.status, first.steps.firewall, second]).toEqual([0, 'changed', 'unchanged']);
    expect(unitState((p) => r.read(p), 'firewalld.service')).toBe('disabled inactive');
    expect(r.callsOf('firewall-cmd')).toEqual([]);
  });
});

describe("kernel-modules: by the running kernel and kube-proxy's mode", () => {
  const CENTOS_KERNEL = '3.10.0-1160.119.1.el7.x86_64';
  const ARCH_KERNEL = '6.12.10-arch1-1';
  /** uname -r says `kernel`; modprobe loads into (and lsmod lists) FAKE_STATE/modules. */
  function modulesRoot(kernel: string, withModulesDir = true): FixtureRoot {
    return root(withModulesDir ? { [`/lib/modules/${kernel}/modules.builtin`]: 'kernel/fs/ext4/ext4.ko\n' } : {}, {
      uname: `if [ "$1" = -r ]; then echo ${kernel}; else /bin/uname "$@"; fi`,
      lsmod: `echo 'Module Size Used by'; sed 's/$/ 16384 0/' ${FAKE_STATE}/modules 2>/dev/null || true`,
      modprobe: `echo "$1" >>${FAKE_STATE}/modules`,
    });
  }
  const IPVS = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh'];

  test.each([
    [CENTOS_KERNEL, 'ipvs', ['overlay', 'br_netfilter', ...IPVS, 'nf_conntrack_ipv4']],
    [CENTOS_KERNEL, 'iptables', ['overlay', 'br_netfilter', 'nf_conntrack_ipv4']],
    [ARCH_KERNEL, 'ipvs', ['overlay', 'br_netfilter', ...IPVS, 'nf_conntrack']],
    [ARCH_KERNEL, 'nftables', ['overlay', 'br_netfilter', 'nf_conntrack']],
  ] as const)('kernel %s, %s: %j loaded now and listed for boot', (kernel, proxyMode, modules) => {
    const r = modulesRoot(kernel);
    // nftables mode: Kubernetes 1.31+ on a kernel CentOS 7 does not have (validation refuses the rest).
    const options = proxyMode === 'nftables' ? ({ proxyMode, os: 'arch', version: '1.31.2' } as const) : { proxyMode };
    const { first, second } = twice(r, options, 'w1', 'kernel-modules');
    expect([first.status, first.steps['kernel-modules'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/modules-load.d/k8s.conf')).toBe(`${modules.join('\n')}\n`);
    expect(r.callsOf('modprobe')).toEqual(modules.map((m) => [m]));
  });

  test('a mode that no longer needs ip_vs rewrites the list without it; then nothing changes', () => {
    const r = modulesRoot(ARCH_KERNEL);
    expect(r.run(stepScript(cluster({ proxyMode: 'ipvs' }), 'w1', 'kernel-modules')).steps['kernel-modules']).toBe('changed');
    const { first, second } = twice(r, { proxyMode: 'iptables' }, 'w1', 'kernel-modules');
    expect([first.status, first.steps['kernel-modules'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/modules-load.d/k8s.conf')).toBe('overlay\nbr_netfilter\nnf_conntrack\n');
    expect(r.read(`${BACKUP}/etc/modules-load.d/k8s.conf`)).toBe(`overlay\nbr_netfilter\n${IPVS.join('\n')}\nnf_conntrack\n`);
  });

  test('a running kernel whose modules are gone (upgraded since boot): a reboot is needed, nothing is written or loaded', () => {
    const r = modulesRoot(ARCH_KERNEL, false);
    const result = r.run(stepScript(cluster(), 'w1', 'kernel-modules'));
    expect([result.status, result.steps['kernel-modules']]).toEqual([1, 'failed']);
    expect(result.stderr).toContain(
      `k8sprep: kernel ${ARCH_KERNEL} is running but /lib/modules/${ARCH_KERNEL} is gone (the kernel package was upgraded since boot): no kernel module can be loaded until the host reboots into the new kernel; reboot it, then run k8sprep again`,
    );
    expect(r.read('/etc/modules-load.d/k8s.conf')).toBeUndefined();
    expect(r.callsOf('modprobe')).toEqual([]);
  });
});

describe('base-repos: CentOS 7 is end of life', () => {
  const base = [
    '[base]',
    'name=CentOS-$releasever - Base',
    'mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra',
    '#baseurl=http://mirror.centos.org/centos/$releasever/os/$basearch/',
    'gpgcheck=1',
    '',
  ].join('\n');
  const sclo = [
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
    'enabled=0',
    '',
  ].join('\n');
  const altarch = [
    '[centos-kernel]',
    'name=CentOS LTS Kernels for $basearch',
    'mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=kernel&infra=$infra',
    'enabled=1',
    '',
  ].join('\n');
  const epel = ['[epel]', 'name=Extra Packages for Enterprise Linux 7', 'baseurl=https://mirrors.aliyun.com/epel/7/$basearch', 'enabled=1', ''].join('\n');
  const files = {
    '/etc/yum.repos.d/CentOS-Base.repo': base,
    '/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo': sclo,
    '/etc/yum.repos.d/CentOS-x86_64-kernel.repo': altarch,
    '/etc/yum.repos.d/epel.repo': epel,
  };

  test.each([
    ['aliyun', 'https://mirrors.aliyun.com/centos-vault/7.9.2009'],
    ['upstream', 'https://vault.centos.org/7.9.2009'],
  ] as const)(
    '%s: CentOS-Base on the vault; other retired repositories moved to the vault where their URL says where, else disabled; all backed up',
    (packages, vault) => {
      const r = root(files, { yum: YUM });
      const { first, second } = twice(r, { packages }, 'cp1', 'base-repos');
      expect([first.status, first.steps['base-repos'], second]).toEqual([0, 'changed', 'unchanged']);

      const baseRepo = parseRepoFile(r.read('/etc/yum.repos.d/CentOS-Base.repo') ?? '');
      expect(Object.keys(baseRepo)).toEqual(['base', 'updates', 'extras']);
      for (const [id, dir] of [
        ['base', 'os'],
        ['updates', 'updates'],
        ['extras', 'extras'],
      ] as const) {
        expect([id, baseRepo[id]?.baseurl, baseRepo[id]?.enabled, baseRepo[id]?.gpgcheck, baseRepo[id]?.mirrorlist]).toEqual([
          id,
          `${vault}/${dir}/$basearch/`,
          '1',
          '1',
          undefined,
        ]);
      }
      const scloRepo = parseRepoFile(r.read('/etc/yum.repos.d/CentOS-SCLo-scl-rh.repo') ?? '');
      expect(scloRepo['centos-sclo-rh']).toEqual({
        name: 'CentOS-7 - SCLo rh',
        baseurl: `${vault}/sclo/$basearch/rh/`,
        gpgcheck: '1',
        enabled: '1',
        gpgkey: 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-SCLo',
      });
      expect(scloRepo['centos-sclo-rh-testing']).toEqual({
        name: 'CentOS-7 - SCLo rh Testing',
        baseurl: 'http://buildlogs.centos.org/centos/7/sclo/$basearch/rh/',
        enabled: '0',
      });
      expect(parseRepoFile(r.read('/etc/yum.repos.d/CentOS-x86_64-kernel.repo') ?? '')['centos-kernel']?.enabled).toBe('0');
      // A repository that is not on a retired mirror is not touched.
      expect(r.read('/etc/yum.repos.d/epel.repo')).toBe(epel);
      for (const [path, original] of Object.entries(files).filter(([p]) => !p.endsWith('epel.repo')))
        expect([path, r.read(`${BACKUP}${path}`)]).toEqual([path, original]);
      expect(r.read(`${BACKUP}/etc/yum.repos.d/epel.repo`)).toBeUndefined();

      expect(first.stderr).toContain(`k8sprep: note: /etc/yum.repos.d/CentOS-SCLo-scl-rh.repo: repository centos-sclo-rh moved to ${vault}/sclo/$basearch/rh/`);
      expect(first.stderr).toContain(
        'k8sprep: note: /etc/yum.repos.d/CentOS-x86_64-kernel.repo: repository centos-kernel disabled: its mirror is retired and it names no path on the CentOS 7 vault',
      );
      // Cached metadata from the dead URLs is forgotten once, when something changed.
      expect(r.callsOf('yum')).toEqual([['-q', 'clean', 'expire-cache']]);
    },
  );

  test('Arch: no step', () => {
    expect(stepScript(cluster({ os: 'arch' }), 'cp1', 'base-repos')).toBe('');
  });
});

describe('package-repos', () => {
  test.each([
    ['1.28.15', 'aliyun', 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.28/rpm', 'https://mirrors.aliyun.com/docker-ce/linux/centos'],
    ['1.30.6', 'aliyun', 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.30/rpm', 'https://mirrors.aliyun.com/docker-ce/linux/centos'],
    ['1.31.2', 'upstream', 'https://pkgs.k8s.io/core:/stable:/v1.31/rpm', 'https://download.docker.com/linux/centos'],
    ['1.34.2', 'upstream', 'https://pkgs.k8s.io/core:/stable:/v1.34/rpm', 'https://download.docker.com/linux/centos'],
  ] as const)('%s from %s: the Kubernetes repo of that minor, its packages excluded from casual updates; docker-ce el7', (version, packages, kube, docker) => {
    const r = root({}, { yum: YUM });
    const { first, second } = twice(r, { version, packages }, 'w1', 'package-repos');
    expect([first.status, first.steps['package-repos'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(parseRepoFile(r.read('/etc/yum.repos.d/kubernetes.repo') ?? '')).toEqual({
      kubernetes: {
        name: `Kubernetes v${version.split('.').slice(0, 2).join('.')}`,
        baseurl: `${kube}/`,
        enabled: '1',
        gpgcheck: '1',
        gpgkey: `${kube}/repodata/repomd.xml.key`,
        exclude: 'kubelet kubeadm kubectl cri-tools kubernetes-cni',
      },
    });
    expect(parseRepoFile(r.read('/etc/yum.repos.d/docker-ce.repo') ?? '')).toEqual({
      'docker-ce-stable': {
        name: 'Docker CE Stable - $basearch',
        baseurl: `${docker}/7/$basearch/stable`,
        enabled: '1',
        gpgcheck: '1',
        gpgkey: `${docker}/gpg`,
      },
    });
    expect(r.mode('/etc/yum.repos.d/kubernetes.repo')).toBe(0o644);
    expect(r.callsOf('yum')).toEqual([['-q', 'clean', 'expire-cache']]);
  });
  test('Arch: no step (its own repositories)', () => {
    expect(stepScript(cluster({ os: 'arch' }), 'cp1', 'package-repos')).toBe('');
  });
});

describe('time-sync', () => {
  const packageManager = MANAGERS;
  const other = { centos7: 'ntpd.service', arch: 'systemd-timesyncd.service' };

  test.each(OSES)('%s: chrony installed, the competing daemon stopped and disabled, chronyd enabled and running, a config with a source kept', (os) => {
    const conf = 'server 0.centos.pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\n';
    const r = root({ '/etc/chrony.conf': conf, ...units({ [other[os]]: 'enabled active' }) }, packageManager[os]);
    const { first, second } = twice(r, { os }, 'w1', 'time-sync');
    expect([first.status, first.steps['time-sync'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(packagesIn((p) => r.read(p))).toEqual(['chrony']);
    expect(unitState((p) => r.read(p), other[os])).toBe('disabled inactive');
    expect(unitState((p) => r.read(p), 'chronyd.service')).toBe('enabled active');
    expect(r.read('/etc/chrony.conf')).toBe(conf);
    expect(r.callsOf('systemctl').filter((c) => c[0] === 'restart')).toEqual([]);
  });

  test.each([
    ['aliyun', 'ntp.aliyun.com'],
    ['upstream', 'pool.ntp.org'],
  ] as const)("%s: a chrony.conf without any time source gets the region's pool, and chronyd restarts to read it", (packages, pool) => {
    const conf = '#server 0.centos.pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\n';
    const r = root({ '/etc/chrony.conf': conf, ...installedPackages(['chrony']), ...units({ 'chronyd.service': 'enabled active' }) }, packageManager.centos7);
    const { first, second } = twice(r, { packages }, 'w1', 'time-sync');
    expect([first.status, first.steps['time-sync'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/chrony.conf')).toBe(`${conf}# Time source added by k8sprep: none was configured.\npool ${pool} iburst\n`);
    expect(r.callsOf('systemctl').filter((c) => c[0] === 'restart')).toEqual([['restart', 'chronyd']]);
  });
});

describe('proxy-tools: what kube-proxy runs, by mode', () => {
  const packageManager = MANAGERS;
  test.each([
    ...OSES.flatMap(
      (os) =>
        [
          [os, 'ipvs', ['ipset', 'ipvsadm', 'conntrack-tools']],
          [os, 'iptables', ['conntrack-tools']],
        ] as const,
    ),
    // CentOS 7's kernel cannot run kube-proxy's nftables mode (validation refuses it).
    ['arch', 'nftables', ['conntrack-tools']],
  ] as const)('%s, %s: %j', (os, proxyMode, wanted) => {
    const r = root({}, packageManager[os]);
    const { first, second } = twice(r, { os, proxyMode, ...(proxyMode === 'nftables' ? { version: '1.31.2' } : {}) }, 'w1', 'proxy-tools');
    expect([first.status, first.steps['proxy-tools'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(packagesIn((p) => r.read(p))).toEqual(wanted);
  });
});

describe('containerd-install', () => {
  test.each([
    ['centos7', ['containerd.io']],
    ['arch', ['containerd', 'runc']],
  ] as const)('%s: %j, and its commands must answer', (os, wanted) => {
    const r = root(
      os === 'centos7' ? provides('containerd.io', ['containerd', 'runc']) : { ...provides('containerd', ['containerd']), ...provides('runc', ['runc']) },
      MANAGERS[os],
    );
    const { first, second } = twice(r, { os }, 'w1', 'containerd-install');
    expect([first.status, first.steps['containerd-install'], second]).toEqual([0, 'changed', 'unchanged']);
    expect(packagesIn((p) => r.read(p))).toEqual(wanted);
  });
  test('installed, but runc is not there: installed again, and the step fails when it still is not', () => {
    const r = root(installedPackages(['containerd.io']), MANAGERS.centos7);
    const result = r.run(stepScript(cluster(), 'w1', 'containerd-install'));
    expect([result.status, result.steps['containerd-install']]).toEqual([1, 'failed']);
    expect(result.stderr).toContain('k8sprep: step containerd-install: not in the desired state after apply');
  });
});

describe('crictl', () => {
  test.each([
    ['centos7', 'cri-tools'],
    ['arch', 'crictl'],
  ] as const)('%s: crictl from package %s when missing; /etc/crictl.yaml with only keys crictl accepts, pointing at containerd', (os, pkg) => {
    const r = root(provides(pkg, ['crictl']), MANAGERS[os]);
    const { first, second } = twice(r, { os }, 'w1', 'crictl');
    expect([first.status, first.steps.crictl, second]).toEqual([0, 'changed', 'unchanged']);
    expect(packagesIn((p) => r.read(p))).toEqual([pkg]);
    const config = parseYaml(r.read('/etc/crictl.yaml') ?? '') as Record<string, unknown>;
    const allowed = ['runtime-endpoint', 'image-endpoint', 'timeout', 'debug', 'pull-image-on-create', 'disable-pull-on-run'];
    expect(Object.keys(config).filter((k) => !allowed.includes(k))).toEqual([]);
    expect(config).toEqual({
      'runtime-endpoint': 'unix:///run/containerd/containerd.sock',
      'image-endpoint': 'unix:///run/containerd/containerd.sock',
      timeout: 10,
      debug: false,
    });
  });
});
