/**
 * Virtual IPs and the keepalived + haproxy static pods on test hosts: a VIP added inside one
 * host's network namespace is reachable from the other hosts and from this machine; the
 * keepalived container is judged by the real `keepalived -t` and its MASTER (highest priority,
 * lowered by a failing vrrp_script) holds the VIP; the haproxy container is Debian's haproxy
 * with the rendered haproxy.cfg. The configs are the kubeadm HA guide's.
 */
import { startTestHosts, cniFixture, type TestFleet, type TestHost } from './index.js';
import { hostSh, prepareKubeNode, putFiles } from './kube-fixture.js';
import { run, sleep } from './proc.js';
import { kubeadmGuideHaproxyCfg } from '../helpers/haproxy.js';

const V = '1.30.6';
const LONG = 300_000;
let fleet: TestFleet;
let cp1: TestHost;
let cp2: TestHost;
let vip = '';

const sh = (host: TestHost, script: string, args: string[] = [], input?: string) => hostSh(host, script, { args, input });
const vipHolder = async () => (await fleet.cluster.state()).vips[vip];
const hasVip = async (host: TestHost) => (await sh(host, 'ip -o -4 addr show dev eth0')).stdout.includes(` ${vip}/32 `);

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  let last: T = await probe();
  for (const end = Date.now() + timeoutMs; !ok(last); last = await probe()) {
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await sleep(250);
  }
  return last;
}

function haproxyCfg(): string {
  return kubeadmGuideHaproxyCfg([`server cp1 ${cp1.address}:6443 check inter 1s verify none`, `server cp2 ${cp2.address}:6443 check inter 1s verify none`]);
}

/** The guide's keepalived.conf; the vrrp_script runs every 2 s and fails after two misses (the guide: 3 s, 10). */
function keepalivedConf(state: 'MASTER' | 'BACKUP', priority: number): string {
  return `! Configuration File for keepalived
global_defs {
    router_id LVS_DEVEL
}
vrrp_script check_apiserver {
  script "/etc/keepalived/check_apiserver.sh"
  interval 2
  weight -2
  fall 2
  rise 2
}

vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 51
    priority ${priority}
    authentication {
        auth_type PASS
        auth_pass 42
    }
    virtual_ipaddress {
        ${vip}
    }
    track_script {
        check_apiserver
    }
}
`;
}

const CHECK = `#!/bin/sh

errorExit() {
    echo "*** $*" 1>&2
    exit 1
}

curl -sfk --max-time 2 https://localhost:8443/healthz -o /dev/null || errorExit "Error GET https://localhost:8443/healthz"
`;

const KEEPALIVED_POD = `apiVersion: v1
kind: Pod
metadata:
  name: keepalived
  namespace: kube-system
spec:
  containers:
  - image: osixia/keepalived:2.0.20
    name: keepalived
    securityContext:
      capabilities:
        add: [NET_ADMIN, NET_BROADCAST, NET_RAW]
    volumeMounts:
    - mountPath: /usr/local/etc/keepalived/keepalived.conf
      name: config
    - mountPath: /etc/keepalived/check_apiserver.sh
      name: check
  hostNetwork: true
  volumes:
  - hostPath:
      path: /etc/keepalived/keepalived.conf
    name: config
  - hostPath:
      path: /etc/keepalived/check_apiserver.sh
    name: check
`;

const HAPROXY_POD = `apiVersion: v1
kind: Pod
metadata:
  name: haproxy
  namespace: kube-system
spec:
  containers:
  - image: haproxy:2.8
    name: haproxy
    volumeMounts:
    - mountPath: /usr/local/etc/haproxy/haproxy.cfg
      name: haproxyconf
      readOnly: true
  hostNetwork: true
  volumes:
  - hostPath:
      path: /etc/haproxy/haproxy.cfg
      type: FileOrCreate
    name: haproxyconf
`;

async function placeLoadBalancer(host: TestHost, state: 'MASTER' | 'BACKUP', priority: number): Promise<void> {
  await putFiles(host, '/', {
    'etc/haproxy/haproxy.cfg': haproxyCfg(),
    'etc/keepalived/keepalived.conf': keepalivedConf(state, priority),
    'etc/kubernetes/manifests/keepalived.yaml': KEEPALIVED_POD,
    'etc/kubernetes/manifests/haproxy.yaml': HAPROXY_POD,
  });
  await putFiles(host, '/etc/keepalived', { 'check_apiserver.sh': CHECK }, '755');
}

const containers = async (host: TestHost) =>
  (await host.readFile('/var/lib/k8sprep-testhost/containers'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t').slice(1, 3).join(' '))
    .sort();

beforeAll(async () => {
  fleet = await startTestHosts(
    [
      { name: 'cp1', os: 'centos7' },
      { name: 'cp2', os: 'arch' },
    ],
    { sharedCluster: true },
  );
  [cp1, cp2] = fleet.hosts as [TestHost, TestHost];
  vip = fleet.subnet.replace(/\.0\/24$/, '.100');
  await Promise.all(fleet.hosts.map((h) => prepareKubeNode(h, V)));
}, LONG);
afterAll(async () => {
  await fleet?.stop();
}, LONG);

test(
  'an address added inside one host is reachable from the other hosts and this machine, and gone when removed',
  async () => {
    const pid = (
      await sh(cp1, 'ip addr add "$1/32" dev eth0 && (setsid python3 -m http.server --bind "$1" 8080 </dev/null >/dev/null 2>&1 & echo $!)', [vip])
    ).stdout.trim();
    const get = () => sh(cp2, 'curl -s -o /dev/null -w "%{http_code}" --max-time 3 "http://$1:8080/"', [vip]).then((r) => r.stdout);
    expect(await until('GET from cp2', get, (c) => c === '200', 10_000)).toBe('200');
    const here = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--noproxy', '*', '--max-time', '3', `http://${vip}:8080/`]);
    expect(here.stdout).toBe('200');
    await sh(cp1, 'kill "$1"; ip addr del "$2/32" dev eth0', [pid, vip]);
    expect(await get()).toBe('000');
  },
  LONG,
);

test(
  'keepalived + haproxy: init through the VIP; the MASTER holds it; a failing check script or a stopped keepalived moves it',
  async () => {
    await placeLoadBalancer(cp1, 'MASTER', 101);
    await putFiles(cp1, '/etc/kubernetes/k8sprep', {
      'kubeadm-init.yaml': `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration: {name: cp1}
localAPIEndpoint: {advertiseAddress: ${cp1.address}, bindPort: 6443}
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v${V}
controlPlaneEndpoint: ${vip}:8443
networking: {podSubnet: 10.244.0.0/16}
apiServer: {certSANs: [${vip}], timeoutForControlPlane: 20s}
`,
    });
    const init = await sh(cp1, 'kubeadm init --config /etc/kubernetes/k8sprep/kubeadm-init.yaml --skip-token-print');
    expect([init.code, init.stderr]).toEqual([0, '']);
    expect(await containers(cp1)).toEqual([
      'etcd Running',
      'haproxy Running',
      'keepalived Running',
      'kube-apiserver Running',
      'kube-controller-manager Running',
      'kube-scheduler Running',
    ]);
    const keepalivedLog = await cp1.readFile('/var/lib/k8sprep-testhost/logs/keepalived.log');
    // The guide's config runs scripts as root without enable_script_security: keepalived -t warns (exit 6) and keepalived runs.
    expect(keepalivedLog).toContain('SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
    expect(keepalivedLog).toContain('(VI_1) Entering MASTER STATE');
    expect(await vipHolder()).toBe('cp1');

    // cp2 joins as a control plane through the VIP, with the shared files from cp1.
    const shared = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key'];
    const files: Record<string, string> = {};
    for (const f of shared) files[f] = await cp1.readFile(`/etc/kubernetes/pki/${f}`);
    await putFiles(cp2, '/etc/kubernetes/pki', files, '600');
    await placeLoadBalancer(cp2, 'BACKUP', 100);
    const { cluster, tokens } = await fleet.cluster.state();
    await putFiles(cp2, '/etc/kubernetes/k8sprep', {
      'kubeadm-join.yaml': `apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken: {apiServerEndpoint: "${vip}:8443", token: ${tokens[0]!.id}.${tokens[0]!.secret}, caCertHashes: ["${cluster.caCertHash}"]}
nodeRegistration: {name: cp2}
controlPlane:
  localAPIEndpoint: {advertiseAddress: ${cp2.address}, bindPort: 6443}
`,
    });
    const join = await sh(cp2, 'kubeadm join --config /etc/kubernetes/k8sprep/kubeadm-join.yaml');
    expect([join.code, join.stderr]).toEqual([0, '']);
    await until(
      'cp2 BACKUP',
      () => cp2.readFile('/var/lib/k8sprep-testhost/logs/keepalived.log'),
      (l) => l.includes('(VI_1) Entering BACKUP STATE'),
    );
    expect(await vipHolder()).toBe('cp1');

    // cp1's haproxy stops: its check script fails twice, 101 - 2 < 100, cp2 takes the VIP.
    await sh(cp1, 'mv /etc/kubernetes/manifests/haproxy.yaml /etc/kubernetes/ && crictl ps >/dev/null');
    await until('VIP on cp2', vipHolder, (h) => h === 'cp2');
    expect(await hasVip(cp2)).toBe(true);
    await until(
      'VIP gone from cp1',
      () => hasVip(cp1),
      (has) => !has,
      5_000,
    );
    const viaCp2 = await until(
      'readyz via the VIP',
      () => sh(cp1, 'curl -sfk --max-time 3 "https://$1:8443/readyz"', [vip]).then((r) => r.stdout),
      (o) => o === 'ok',
    );
    expect(viaCp2).toBe('ok');

    // Back: cp1 is MASTER again (the higher priority preempts).
    await sh(cp1, 'mv /etc/kubernetes/haproxy.yaml /etc/kubernetes/manifests/ && crictl ps >/dev/null');
    await until('VIP back on cp1', vipHolder, (h) => h === 'cp1');

    // A stopped keepalived gives the VIP back at once.
    await sh(cp1, 'mv /etc/kubernetes/manifests/keepalived.yaml /etc/kubernetes/ && crictl ps >/dev/null');
    await until('VIP on cp2 again', vipHolder, (h) => h === 'cp2', 10_000);
    expect(await hasVip(cp1)).toBe(false); // keepalived gave it back when it stopped
  },
  LONG,
);

test(
  'a keepalived.conf or haproxy.cfg the real binaries refuse: the container exits, the VIP stays where it is',
  async () => {
    await putFiles(cp1, '/etc/keepalived', { 'keepalived.conf': keepalivedConf('MASTER', 101).replace('virtual_router_id 51', 'virtual_router_id 999') });
    await sh(cp1, 'mv /etc/kubernetes/keepalived.yaml /etc/kubernetes/manifests/ && crictl ps >/dev/null');
    expect(await containers(cp1)).toContain('keepalived Exited');
    expect(await cp1.readFile('/var/lib/k8sprep-testhost/logs/keepalived.log')).toContain("(VI_1): VRID '999' not valid - must be between 1 & 255");
    await sleep(1500); // had it run, it would have preempted cp2 by now
    expect(await vipHolder()).toBe('cp2');

    await putFiles(cp2, '/etc/haproxy', { 'haproxy.cfg': haproxyCfg().replace('http-check connect ssl', 'http-check connect sssl') });
    await sh(
      cp2,
      'mv /etc/kubernetes/manifests/haproxy.yaml /etc/kubernetes/ && crictl ps >/dev/null && mv /etc/kubernetes/haproxy.yaml /etc/kubernetes/manifests/ && crictl ps >/dev/null',
    );
    expect(await containers(cp2)).toContain('haproxy Exited');
    expect(await cp2.readFile('/var/lib/k8sprep-testhost/logs/haproxy.log')).toMatch(/\[ALERT\].*sssl/);
  },
  LONG,
);

test(
  "flannel: nodes Ready once kube-flannel.yml is applied with the cluster's pod network",
  async () => {
    await putFiles(cp1, '/etc/kubernetes/k8sprep/cni', { 'kube-flannel.yml': cniFixture('flannel') });
    // cp2 holds the VIP (cp1's keepalived is refused, above); its haproxy is restarted, as the
    // kubelet restarts an exited container, with a good config again.
    await putFiles(cp2, '/etc/haproxy', { 'haproxy.cfg': haproxyCfg() });
    await sh(cp2, 'crictl ps >/dev/null');
    expect(await containers(cp2)).toContain('haproxy Running');
    await until(
      'readyz via the VIP',
      () => sh(cp1, 'curl -sfk --max-time 3 "https://$1:8443/readyz"', [vip]).then((r) => r.stdout),
      (o) => o === 'ok',
    );
    const r = await sh(cp1, 'kubectl --kubeconfig=/etc/kubernetes/admin.conf --request-timeout=10s apply -f /etc/kubernetes/k8sprep/cni/kube-flannel.yml');
    expect(r.stdout.split('\n')).toEqual([
      'namespace/kube-flannel created',
      'clusterrole.rbac.authorization.k8s.io/flannel created',
      'clusterrolebinding.rbac.authorization.k8s.io/flannel created',
      'serviceaccount/flannel created',
      'configmap/kube-flannel-cfg created',
      'daemonset.apps/kube-flannel-ds created',
      '',
    ]);
    const st = await fleet.cluster.state();
    expect(st.cni).toMatchObject({ name: 'flannel', podCidr: '10.244.0.0/16', daemonSet: 'kube-flannel/kube-flannel-ds' });
    expect(st.nodes.map((n) => [n.name, n.ready])).toEqual([
      ['cp1', 'True'],
      ['cp2', 'True'],
    ]);
  },
  LONG,
);
