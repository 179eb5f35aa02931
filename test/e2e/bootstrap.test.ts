/**
 * `node init` from bare hosts to a Ready cluster (issue 8), end to end: the real CLI over SSH
 * to test hosts sharing one cluster (kubeadm, kubectl, crictl, kube-vip, keepalived and
 * haproxy stand-ins that check what the real ones check and record it: test/hosts README).
 * 3 control planes + 2 workers, CentOS 7 and Arch mixed, with kube-vip (Kubernetes 1.34,
 * kubeadm v1beta4) and with keepalived-haproxy (1.30, v1beta3). What the cluster log and
 * state show is asserted, not what the scripts say: init once on the first control plane, the
 * CA files in place before every control plane's init/join, no kubelet.conf pre-placed,
 * control-plane joins never overlapping, the local PKI's CA hash on every join, the CNI
 * downloaded and applied once with the pod CIDR; a second run changes nothing; a half-joined
 * control plane and a worker whose join failed are reported, then repaired by the next run; an
 * expired bootstrap token is re-created; --prep-only runs no kubeadm init/join.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  E2E_TIMEOUT_MS,
  failures,
  hostReport,
  intervals,
  kubeadmRuns,
  notUnchanged,
  opensslCaHash,
  stepStatuses,
  useBootstrapFleet,
} from '../helpers/bootstrap-e2e.js';

const CONTROL_PLANES = ['cp1', 'cp2', 'cp3'];
const WORKERS = ['w1', 'w2'];
const ALL = [...CONTROL_PLANES, ...WORKERS];
const CA_FILES = ['ca.crt', 'ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub'];
/** The cluster's pod CIDR (not calico's own default, 192.168.0.0/16, nor k8sprep's). */
const POD_SUBNET = '10.48.0.0/16';

function hostsOf(version: string) {
  return [
    { name: 'cp1', os: 'centos7' as const },
    { name: 'cp2', os: 'arch' as const, archRepoKubeVersion: version },
    { name: 'cp3', os: 'centos7' as const },
    { name: 'w1', os: 'arch' as const, archRepoKubeVersion: version },
    { name: 'w2', os: 'centos7' as const },
  ];
}
const controlPlaneRoles = { cp2: { roles: ['control-plane'] }, cp3: { roles: ['control-plane'] } };

describe('kube-vip, Kubernetes 1.34 (kubeadm v1beta4), 3 control planes + 2 workers', () => {
  const VERSION = '1.34.2';
  const rig = useBootstrapFleet(hostsOf(VERSION));
  let tokenId = '';

  test(
    'first run: init once on cp1, joins in order with the local CA hash; a half-joined control plane and a failed worker join are reported, the rest Ready',
    async () => {
      rig.writeCluster({
        version: VERSION,
        spec: { controlPlaneEndpoint: { host: rig.vip, loadBalancer: 'kube-vip' }, kubernetes: { podSubnet: POD_SUBNET } },
        hosts: controlPlaneRoles,
      });
      await rig.fleet.cluster.failJoin('cp3', 'halfway');
      await rig.fleet.cluster.failJoin('w2', 'halfway');
      const r = await rig.run(['node', 'init']);
      expect(r.code).toBe(1);
      expect(r.summary.hosts.map((h) => [h.host, h.status])).toEqual(ALL.map((h) => [h, h === 'cp3' || h === 'w2' ? 'failed' : 'ok']));
      for (const host of ['cp3', 'w2']) {
        const report = hostReport(r.summary, host);
        expect([host, report.failedStep]).toEqual([host, 'kubeadm-join']);
        expect(report.stderrTail.join('\n')).toContain('timed out waiting for the condition');
      }

      const log = rig.fleet.cluster.log();
      expect(kubeadmRuns(log)).toEqual(
        expect.arrayContaining([
          ['cp1', 'init', 'ok'],
          ['cp2', 'join', 'ok'],
          ['cp3', 'join', 'failed'],
          ['w1', 'join', 'ok'],
          ['w2', 'join', 'failed'],
        ]),
      );
      expect(kubeadmRuns(log).filter(([, op]) => op === 'init')).toEqual([['cp1', 'init', 'ok']]);
      // Control planes join one at a time (etcd member additions do not overlap), after init.
      const [init] = intervals(log, 'init', ['cp1']);
      const cpJoins = intervals(log, 'join', ['cp2', 'cp3']);
      expect(cpJoins.map((j) => j.host)).toEqual(['cp2', 'cp3']);
      expect(cpJoins[0]!.start).toBeGreaterThan(init!.end);
      expect(cpJoins[1]!.start).toBeGreaterThan(cpJoins[0]!.end);

      const localHash = opensslCaHash(join(rig.stateDir, 'pki', 'ca.crt'));
      const ends = log.filter((e) => e.event === 'end');
      for (const e of ends) {
        const checks = e.checks ?? {};
        if (e.op === 'join') {
          expect([e.host, checks.caCertHashes, checks.kubeletConfPreplaced]).toEqual([e.host, [localHash], false]);
        }
        if (CONTROL_PLANES.includes(e.host)) {
          // The CA files k8sprep placed were there before kubeadm ran (it made none of them).
          expect([e.host, checks.caFiles]).toEqual([e.host, Object.fromEntries(CA_FILES.map((f) => [f, true]))]);
        }
      }

      const state = await rig.fleet.cluster.state();
      expect(state.cluster.caCertHash).toBe(localHash);
      expect(state.cluster.by).toBe('cp1');
      expect(state.cluster.endpoint).toBe(`${rig.vip}:6443`);
      expect(
        state.nodes
          .filter((n) => n.ready === 'True')
          .map((n) => n.name)
          .sort(),
      ).toEqual(['cp1', 'cp2', 'w1']);
      expect(state.cni).toMatchObject({ name: 'calico', podCidr: POD_SUBNET, host: 'cp1' });
      expect(rig.files.requests.filter((q) => q.path === '/calico.yaml').map((q) => [q.from, q.status])).toEqual([[rig.fleet.host('cp1').address, 200]]);
      expect(Object.keys(state.vips)).toEqual([rig.vip]);
      expect(CONTROL_PLANES).toContain(state.vips[rig.vip]);
      tokenId = state.tokens[0]?.id ?? '';
      expect(tokenId).toMatch(/^[a-z0-9]{6}$/);

      // The admin kubeconfig: 0600, through the VIP, with the local CA.
      const adminConf = join(rig.stateDir, 'admin.conf');
      expect(statSync(adminConf).mode & 0o777).toBe(0o600);
      const kubeconfig = parseYaml(readFileSync(adminConf, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
      expect(kubeconfig.clusters[0]?.cluster.server).toBe(`https://${rig.vip}:6443`);
      expect(Buffer.from(kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(
        readFileSync(join(rig.stateDir, 'pki', 'ca.crt'), 'utf8'),
      );
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'second run repairs both: the half-joined control plane and worker are reset and joined again; every node Ready',
    async () => {
      const before = rig.fleet.cluster.log().length;
      const r = await rig.run(['node', 'init']);
      expect([r.code, failures(r.summary)]).toEqual([0, []]);
      for (const host of ['cp3', 'w2'])
        expect([host, stepStatuses(r.summary, host)['half-joined'], stepStatuses(r.summary, host)['kubeadm-join']]).toEqual([host, 'changed', 'changed']);
      const runs = kubeadmRuns(rig.fleet.cluster.log().slice(before));
      expect(runs.sort()).toEqual([
        ['cp3', 'join', 'ok'],
        ['cp3', 'reset', 'ok'],
        ['w2', 'join', 'ok'],
        ['w2', 'reset', 'ok'],
      ]);
      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => [n.name, n.ready]).sort()).toEqual(ALL.map((n) => [n, 'True']));
      expect(state.members.map((m) => [m.name, m.started]).sort()).toEqual(CONTROL_PLANES.map((n) => [n, true]));
      expect(state.nodes.find((n) => n.name === 'cp3')?.roles).toEqual(['control-plane']);
      expect(state.nodes.find((n) => n.name === 'w2')?.roles).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'a third run changes nothing: every step unchanged, no kubeadm run, no download',
    async () => {
      const logBefore = rig.fleet.cluster.log().length;
      const downloads = rig.files.requests.length;
      const r = await rig.run(['node', 'init']);
      expect(r.code).toBe(0);
      expect(notUnchanged(r.summary)).toEqual([]);
      expect(rig.fleet.cluster.log().length).toBe(logBefore);
      expect(rig.files.requests.length).toBe(downloads);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'an expired bootstrap token is created again by the next run (and only it changes)',
    async () => {
      await rig.fleet.cluster.expireToken(tokenId);
      expect((await rig.fleet.cluster.state()).tokens.filter((t) => t.live)).toEqual([]);
      const r = await rig.run(['node', 'init']);
      expect([r.code, failures(r.summary)]).toEqual([0, []]);
      expect(notUnchanged(r.summary)).toEqual(['cp1:bootstrap-token=changed']);
      const live = (await rig.fleet.cluster.state()).tokens.filter((t) => t.live);
      expect(live.map((t) => t.id)).toEqual([tokenId]);
      // kubeadm's default for a token k8sprep creates: 24h.
      expect(live[0]!.expires! * 1000 - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    },
    E2E_TIMEOUT_MS,
  );
});

describe('keepalived-haproxy, Kubernetes 1.30 (kubeadm v1beta3), 3 control planes + 2 workers', () => {
  const VERSION = '1.30.6';
  const rig = useBootstrapFleet(hostsOf(VERSION));

  test(
    '--prep-only prepares every host and runs no kubeadm init or join',
    async () => {
      rig.writeCluster({ version: VERSION, spec: { controlPlaneEndpoint: { host: rig.vip, loadBalancer: 'keepalived-haproxy' } }, hosts: controlPlaneRoles });
      const r = await rig.run(['node', 'init', '--prep-only']);
      expect(r.code).toBe(0);
      expect(r.summary.hosts.every((h) => h.steps.every((s) => s.phase === 'preflight' || s.phase === 'prep'))).toBe(true);
      expect(rig.fleet.cluster.log()).toEqual([]);
      expect((await rig.fleet.cluster.state()).cluster.initialized).toBe(false);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'then node init: every node Ready behind the VRRP VIP, haproxy on every control plane with all three apiservers, a second run unchanged',
    async () => {
      const r = await rig.run(['node', 'init']);
      expect([r.code, failures(r.summary)]).toEqual([0, []]);
      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => [n.name, n.ready]).sort()).toEqual(ALL.map((n) => [n, 'True']));
      expect(kubeadmRuns(rig.fleet.cluster.log()).filter(([, op]) => op === 'init')).toEqual([['cp1', 'init', 'ok']]);
      // keepalived's MASTER holds the VIP; the endpoint is haproxy's port there.
      expect(CONTROL_PLANES).toContain(state.vips[rig.vip]);
      expect(state.cluster.endpoint).toBe(`${rig.vip}:8443`);
      expect(state.cni?.podCidr).toBe('10.244.0.0/16');
      for (const cp of CONTROL_PLANES) {
        const host = rig.fleet.host(cp);
        const cfg = await host.readFile('/etc/haproxy/haproxy.cfg');
        const servers = cfg
          .split('\n')
          .filter((l) => /^\s+server /.test(l))
          .map((l) => l.trim().split(/\s+/).slice(1, 3).join(' '));
        expect([cp, servers]).toEqual([cp, CONTROL_PLANES.map((name) => `${name} ${rig.fleet.host(name).address}:6443`)]);
        const ps = await host.exec(['crictl', 'ps', '--name', '^(haproxy|keepalived)$', '--state', 'running', '-q']);
        expect([cp, ps.stdout.trim().split('\n').filter(Boolean)]).toEqual([cp, [expect.any(String), expect.any(String)]]);
      }
      // Through the VIP and a real haproxy to a control plane's apiserver, verified with the local CA.
      const readyz = await rig.fleet.host('w1').exec(['curl', '-sf', '--cacert', '/etc/kubernetes/pki/ca.crt', `https://${rig.vip}:8443/readyz`]);
      expect([readyz.code, readyz.stdout.trim()]).toEqual([0, 'ok']);

      const again = await rig.run(['node', 'init']);
      expect(again.code).toBe(0);
      expect(notUnchanged(again.summary)).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );
});
