/**
 * A cluster's life after `node init` (issue 9), end to end on test hosts sharing one cluster
 * (test/hosts README, "The shared cluster"): bootstrapped with 1 control plane + 1 worker
 * behind keepalived-haproxy (so haproxy's backend list matters), then grown by editing the
 * cluster file and `node join --hosts`: a worker, a second control plane, a third after the
 * bootstrap token expired — each Ready, haproxy's backends updated on every control plane; then
 * shrunk with `node reset`: a worker (drained, reset, deleted, the host clean of what kubeadm
 * leaves; a second reset changes nothing) and a control plane (its etcd member gone, haproxy
 * backends without it). Refusals: a host not in the cluster file, a reset without --yes and no
 * terminal, the last control plane, a reset that would lose etcd's quorum — exit 2, no host
 * contacted. Outcomes are read from the shared cluster's state and log and the hosts' files.
 */
import { E2E_TIMEOUT_MS, failures, hostReport, kubeadmRuns, notUnchanged, stepStatuses, useBootstrapFleet, type RunOutcome } from '../helpers/bootstrap-e2e.js';
import type { TestHost } from '../hosts/index.js';

const VERSION = '1.30.6';
const FLEET = [
  { name: 'cp1', os: 'centos7' as const },
  { name: 'cp2', os: 'arch' as const, archRepoKubeVersion: VERSION },
  { name: 'cp3', os: 'centos7' as const },
  { name: 'w1', os: 'arch' as const, archRepoKubeVersion: VERSION },
  { name: 'w2', os: 'centos7' as const },
];
const CONTROL_PLANE = { roles: ['control-plane'] };
/** What DESIGN §4 "Reset" lists among what kubeadm reset leaves, as paths. */
const RESET_PATHS = [
  '/etc/cni/net.d',
  '/var/lib/cni',
  '/var/lib/calico',
  '/etc/kubernetes/k8sprep',
  '/root/.kube',
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/pki/ca.crt',
  '/etc/kubernetes/manifests/haproxy.yaml',
  '/etc/kubernetes/manifests/keepalived.yaml',
  '/etc/haproxy/haproxy.cfg',
  '/etc/keepalived/keepalived.conf',
];

/** The files host preparation changes. */
const PREPARED_PATHS = [
  '/etc/sysctl.d',
  '/etc/modules-load.d',
  '/etc/fstab',
  '/etc/systemd/zram-generator.conf',
  '/etc/yum.repos.d',
  '/etc/selinux',
  '/etc/containerd',
  '/etc/crictl.yaml',
  '/etc/chrony.conf',
  '/etc/hosts',
  '/etc/hostname',
];

/**
 * The host as prep leaves its mark: every file and directory under PREPARED_PATHS (type, mode,
 * owner, content hash) as the host sees it, the installed package names, SELinux's mode,
 * firewalld's permanent ports, sources and rich rules.
 */
async function preparedState(host: TestHost): Promise<string[]> {
  const files = await sh(
    host,
    `for p in ${PREPARED_PATHS.join(' ')}; do [ -e "$p" ] || continue; find "$p" -printf '%y %m %U:%G %p\n' | sort | while read -r y m o f; do if [ "$y" = f ]; then echo "$y $m $o $f $(sha256sum <"$f" | cut -c1-64)"; else echo "$y $m $o $f"; fi; done; done`,
  );
  const packages = await sh(host, "rpm -qa --qf '%{NAME}\\n' | sort");
  const selinux = await sh(host, 'getenforce');
  // firewalld's permanent configuration, as firewalld lists it.
  const firewalld = await sh(
    host,
    'for z in public trusted; do echo "$z: $(firewall-offline-cmd --zone=$z --list-ports) / $(firewall-offline-cmd --zone=$z --list-sources) / $(firewall-offline-cmd --zone=$z --list-rich-rules | paste -sd,)"; done',
  );
  return [
    ...files.split('\n'),
    ...packages.split('\n').map((n) => `package ${n}`),
    `selinux ${selinux.trim()}`,
    ...firewalld.split('\n').map((l) => `firewalld ${l}`),
  ].filter((l) => l.trim() !== '');
}

/** The `server NAME ADDR:PORT` lines of a control plane's haproxy.cfg, as "NAME ADDR:PORT". */
async function haproxyBackends(host: TestHost): Promise<string[]> {
  const cfg = await host.readFile('/etc/haproxy/haproxy.cfg');
  return cfg
    .split('\n')
    .filter((l) => /^\s+server /.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1, 3).join(' '));
}

async function sh(host: TestHost, script: string): Promise<string> {
  const r = await host.exec(['bash', '-c', script]);
  if (r.code !== 0) throw new Error(`${host.name}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * What a node running calico and kube-proxy has besides kubeadm's files (the stand-ins make none
 * of it): CNI configuration and state, a kubeconfig in root's home, the CNI's interfaces, and
 * Kubernetes' iptables chains (jumped to from INPUT) next to a chain that is not Kubernetes'.
 */
const NODE_LEFTOVERS = String.raw`set -e
mkdir -p /etc/cni/net.d /var/lib/cni/networks/k8s-pod-network /var/lib/calico /root/.kube
echo '{"name": "k8s-pod-network"}' >/etc/cni/net.d/10-calico.conflist
echo w2 >/var/lib/calico/nodename
cp /etc/kubernetes/kubelet.conf /root/.kube/config
ip link add cni0 type bridge
ip link add kube-ipvs0 type bridge
ip link add vxlan.calico type vxlan id 4096 dstport 4789
iptables -N KUBE-SERVICES && iptables -A INPUT -j KUBE-SERVICES
iptables -N cali-INPUT && iptables -A INPUT -j cali-INPUT
iptables -t nat -N KUBE-POSTROUTING && iptables -t nat -A POSTROUTING -j KUBE-POSTROUTING
ip6tables -N KUBE-FIREWALL && ip6tables -A INPUT -j KUBE-FIREWALL
iptables -N INPUT_direct && iptables -A INPUT -j INPUT_direct && iptables -A INPUT_direct -p tcp --dport 2222 -j ACCEPT`;

describe('node join and node reset on a running cluster (keepalived-haproxy, Kubernetes 1.30)', () => {
  const rig = useBootstrapFleet(FLEET);
  const host = (name: string) => rig.fleet.host(name);
  const address = (name: string) => host(name).address;
  const backendsOf = (names: readonly string[]) => names.map((n) => `${n} ${address(n)}:6443`);
  const writeCluster = (only: readonly string[]) =>
    rig.writeCluster({
      version: VERSION,
      spec: { controlPlaneEndpoint: { host: rig.vip, loadBalancer: 'keepalived-haproxy' } },
      hosts: { cp2: CONTROL_PLANE, cp3: CONTROL_PLANE },
      only,
    });
  const logins = () => Promise.all(rig.fleet.hosts.map(async (h) => [h.name, await h.logins()] as const));
  const ok = (r: RunOutcome) => expect([r.code, failures(r.summary)]).toEqual([0, []]);
  let tokenId = '';
  /** w2 before anything prepared it (it joins later). */
  let w2BeforePrep: string[] = [];

  test(
    'node init makes the cluster of the cluster file: cp1 and w1, haproxy with one backend',
    async () => {
      w2BeforePrep = await preparedState(host('w2'));
      expect(w2BeforePrep.filter((l) => l.startsWith('package kube'))).toEqual([]);
      writeCluster(['cp1', 'w1']);
      const r = await rig.run(['node', 'init']);
      ok(r);
      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => [n.name, n.ready]).sort()).toEqual([
        ['cp1', 'True'],
        ['w1', 'True'],
      ]);
      expect(await haproxyBackends(host('cp1'))).toEqual(backendsOf(['cp1']));
      tokenId = state.tokens[0]?.id ?? '';
      expect(tokenId).toMatch(/^[a-z0-9]{6}$/);
    },
    E2E_TIMEOUT_MS,
  );

  test('refused before any host is contacted (exit 2): a host not in the cluster file, the last control plane, a reset without --yes and no terminal', async () => {
    const before = await logins();
    const notInFile = await rig.runRaw(['node', 'join', '--hosts', 'w2']);
    expect([notInFile.code, notInFile.stdout]).toEqual([2, '']);
    expect(notInFile.stderr).toContain('--hosts: no host named "w2" in the cluster (hosts: cp1, w1)');

    const last = await rig.runRaw(['node', 'reset', '--hosts', 'cp1', '--yes']);
    expect([last.code, last.stdout]).toEqual([2, '']);
    expect(last.stderr).toContain('--hosts: names every control plane (cp1) but not every host: the cluster would be left without a control plane');

    const unconfirmed = await rig.runRaw(['node', 'reset', '--hosts', 'w1']);
    expect([unconfirmed.code, unconfirmed.stdout]).toEqual([2, '']);
    expect(unconfirmed.stderr).toContain('--yes: is needed without a terminal');

    expect(await logins()).toEqual(before);
    const state = await rig.fleet.cluster.state();
    expect(state.nodes.map((n) => [n.name, n.ready, n.cordoned]).sort()).toEqual([
      ['cp1', 'True', false],
      ['w1', 'True', false],
    ]);
  });

  test(
    'node join --hosts w2 (added to the cluster file): prepared, joined, Ready; the existing hosts learn its name',
    async () => {
      writeCluster(['cp1', 'w1', 'w2']);
      const before = rig.fleet.cluster.log().length;
      const r = await rig.run(['node', 'join', '--hosts', 'w2']);
      ok(r);
      expect(kubeadmRuns(rig.fleet.cluster.log().slice(before))).toEqual([['w2', 'join', 'ok']]);
      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => [n.name, n.ready]).sort()).toEqual([
        ['cp1', 'True'],
        ['w1', 'True'],
        ['w2', 'True'],
      ]);
      for (const name of ['cp1', 'w1']) {
        const hosts = await host(name).readFile('/etc/hosts');
        expect([name, hosts]).toEqual([name, expect.stringMatching(new RegExp(`^${address('w2').replace(/\./g, '\\.')}\\s+w2\\b`, 'm'))]);
      }
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'node join --hosts cp2: a second control plane, Ready and an etcd member; haproxy on cp1 and cp2 balances both',
    async () => {
      writeCluster(['cp1', 'cp2', 'w1', 'w2']);
      const before = rig.fleet.cluster.log().length;
      const r = await rig.run(['node', 'join', '--hosts', 'cp2']);
      ok(r);
      expect(kubeadmRuns(rig.fleet.cluster.log().slice(before))).toEqual([['cp2', 'join', 'ok']]);
      const state = await rig.fleet.cluster.state();
      expect(state.nodes.find((n) => n.name === 'cp2')).toMatchObject({ ready: 'True', roles: ['control-plane'] });
      expect(state.members.map((m) => [m.name, m.started]).sort()).toEqual([
        ['cp1', true],
        ['cp2', true],
      ]);
      for (const name of ['cp1', 'cp2']) expect([name, await haproxyBackends(host(name))]).toEqual([name, backendsOf(['cp1', 'cp2'])]);
      expect(stepStatuses(r.summary, 'cp1').haproxy).toBe('changed');
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'node join of a host that is already a node: reported unchanged, no kubeadm run, exit 0',
    async () => {
      const before = rig.fleet.cluster.log().length;
      const r = await rig.run(['node', 'join', '--hosts', 'w2']);
      ok(r);
      expect(notUnchanged(r.summary)).toEqual([]);
      expect(stepStatuses(r.summary, 'w2')['kubeadm-join']).toBe('unchanged');
      expect(rig.fleet.cluster.log().length).toBe(before);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'node join --hosts cp3 after the bootstrap token expired: the token is created again, cp3 joins; haproxy on all three lists all three',
    async () => {
      await rig.fleet.cluster.expireToken(tokenId);
      expect((await rig.fleet.cluster.state()).tokens.filter((t) => t.live)).toEqual([]);
      writeCluster(['cp1', 'cp2', 'cp3', 'w1', 'w2']);
      const before = rig.fleet.cluster.log().length;
      const r = await rig.run(['node', 'join', '--hosts', 'cp3']);
      ok(r);
      expect(stepStatuses(r.summary, 'cp1')['bootstrap-token']).toBe('changed');
      expect(kubeadmRuns(rig.fleet.cluster.log().slice(before))).toEqual([['cp3', 'join', 'ok']]);
      const state = await rig.fleet.cluster.state();
      expect(state.tokens.filter((t) => t.live).map((t) => t.id)).toEqual([tokenId]);
      expect(state.nodes.map((n) => [n.name, n.ready]).sort()).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2'].map((n) => [n, 'True']));
      expect(state.members.map((m) => [m.name, m.started]).sort()).toEqual([
        ['cp1', true],
        ['cp2', true],
        ['cp3', true],
      ]);
      for (const name of ['cp1', 'cp2', 'cp3']) expect([name, await haproxyBackends(host(name))]).toEqual([name, backendsOf(['cp1', 'cp2', 'cp3'])]);
    },
    E2E_TIMEOUT_MS,
  );

  test('a reset that would cost etcd its quorum (2 of 3 control planes) is refused before any host is contacted', async () => {
    const before = await logins();
    const r = await rig.runRaw(['node', 'reset', '--hosts', 'cp2,cp3', '--yes']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain('--hosts: would leave 1 of 3 control planes: etcd needs a majority of its members while they leave; reset at most 1 at a time');
    expect(await logins()).toEqual(before);
    expect((await rig.fleet.cluster.state()).members.map((m) => m.name).sort()).toEqual(['cp1', 'cp2', 'cp3']);
  });

  test(
    "node reset --hosts w2 --yes: drained, reset, deleted; what kubeadm leaves is gone, chains that are not Kubernetes' stay; a second reset changes nothing",
    async () => {
      const w2 = host('w2');
      await sh(w2, NODE_LEFTOVERS);
      const before = rig.fleet.cluster.log().length;
      const callsBefore = (await w2.calls()).length;
      const r = await rig.run(['node', 'reset', '--hosts', 'w2', '--yes']);
      ok(r);
      expect(r.summary.hosts.map((h) => h.host)).toEqual(['cp1', 'w2']);
      expect(stepStatuses(r.summary, 'cp1')).toEqual({ drain: 'changed', 'delete-node': 'changed' });
      const resets = rig.fleet.cluster
        .log()
        .slice(before)
        .filter((e) => e.event === 'end');
      // Drained (cordoned) when its host was reset, deleted after: it did not register again.
      expect(resets.map((e) => [e.host, e.op, e.result, e.checks?.node])).toEqual([['w2', 'reset', 'ok', 'cordoned']]);
      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => n.name).sort()).toEqual(['cp1', 'cp2', 'cp3', 'w1']);

      for (const path of RESET_PATHS) expect([path, await w2.exists(path)]).toEqual([path, false]);
      expect((await w2.exec(['systemctl', 'is-active', 'kubelet'])).stdout.trim()).toBe('inactive');
      const links = await sh(w2, "ip -o link show | awk -F': ' '{print $2}'");
      expect(links.split('\n').filter((l) => /cni0|kube-ipvs0|vxlan\.calico/.test(l))).toEqual([]);
      const v4 = await sh(w2, 'iptables-save');
      const v6 = await sh(w2, 'ip6tables-save');
      expect(`${v4}\n${v6}`.split('\n').filter((l) => /KUBE-|cali-/.test(l))).toEqual([]);
      expect(v4.split('\n').filter((l) => l.includes('INPUT_direct'))).toEqual([
        ':INPUT_direct - [0:0]',
        '-A INPUT -j INPUT_direct',
        '-A INPUT_direct -p tcp -m tcp --dport 2222 -j ACCEPT',
      ]);
      // Once by the reset (prep's own reload at the join came before).
      expect((await w2.calls()).slice(callsBefore).filter((c) => c[0] === 'firewall-cmd' && c[1] === '--reload')).toEqual([['firewall-cmd', '--reload']]);
      // Still prepared: containerd runs, kubeadm is installed (node join takes it back quickly).
      expect((await w2.exec(['systemctl', 'is-active', 'containerd'])).stdout.trim()).toBe('active');

      const logBefore = rig.fleet.cluster.log().length;
      const again = await rig.run(['node', 'reset', '--hosts', 'w2', '--yes']);
      ok(again);
      expect(notUnchanged(again.summary)).toEqual([]);
      expect(rig.fleet.cluster.log().length).toBe(logBefore);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "node reset --hosts cp3 --yes: its etcd member and Node gone; the remaining control planes' haproxy drops it",
    async () => {
      const before = rig.fleet.cluster.log().length;
      const r = await rig.run(['node', 'reset', '--hosts', 'cp3', '--yes']);
      ok(r);
      const resets = rig.fleet.cluster
        .log()
        .slice(before)
        .filter((e) => e.event === 'end');
      expect(resets.map((e) => [e.host, e.op, e.result, e.checks?.node, e.checks?.etcdMemberRemoved])).toEqual([['cp3', 'reset', 'ok', 'cordoned', true]]);
      const state = await rig.fleet.cluster.state();
      expect(state.members.map((m) => m.name).sort()).toEqual(['cp1', 'cp2']);
      expect(state.nodes.map((n) => n.name).sort()).toEqual(['cp1', 'cp2', 'w1']);
      for (const name of ['cp1', 'cp2']) expect([name, await haproxyBackends(host(name))]).toEqual([name, backendsOf(['cp1', 'cp2'])]);
      for (const path of RESET_PATHS) expect([path, await host('cp3').exists(path)]).toEqual([path, false]);
      expect(hostReport(r.summary, 'cp3').status).toBe('ok');
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'node reset --hosts w2 --yes --purge: host preparation undone — the prepared files, packages and SELinux mode as before prep; a second purge changes nothing',
    async () => {
      const w2 = host('w2');
      const prepared = await preparedState(w2);
      expect(prepared).not.toEqual(w2BeforePrep);
      expect(prepared).toContain('package kubeadm');
      expect(prepared.filter((l) => l.startsWith('firewalld public:') && l.includes('10250/tcp'))).toHaveLength(1);
      const r = await rig.run(['node', 'reset', '--hosts', 'w2', '--yes', '--purge']);
      ok(r);
      expect(stepStatuses(r.summary, 'w2')).toEqual({ 'kubeadm-reset': 'unchanged', 'reset-cleanup': 'unchanged', purge: 'changed' });
      expect(await preparedState(w2)).toEqual(w2BeforePrep);

      const again = await rig.run(['node', 'reset', '--hosts', 'w2', '--yes', '--purge']);
      ok(again);
      expect(notUnchanged(again.summary)).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );
});
