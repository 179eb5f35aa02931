/**
 * The bootstrap's scripts as hosts would receive them (rendered for each host, for the phases
 * that reach it): every one passes bash -n and shellcheck; the kubeadm configs carry only fields
 * kubeadm's API types have for their version (test/data/kubeadm-api) and the values of the
 * cluster file; the static pods pass the Pod schema; the CA hash is the one openssl computes from
 * the local CA; nothing secret is in the rendered text.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pod } from 'kubernetes-models/v1/Pod';
import { parseAllDocuments } from 'yaml';
import type { Host } from '../../src/cluster/types.js';
import { redactSecrets } from '../../src/script/secrets.js';
import { loadApiFields, unknownFields } from '../helpers/api-fields.js';
import { bashSyntax, requireShellcheck, shellcheck } from '../helpers/bash.js';
import { type Prepared, prepareCluster, prepareExample, renderBootstrap, type RenderedScript } from '../helpers/bootstrap.js';
import { EXAMPLES } from '../helpers/cli.js';
import { writtenFile, writtenFiles } from '../helpers/script-files.js';

const KEEPALIVED = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: lb}
spec:
  kubernetes: {version: "1.32.4", cni: flannel, proxyMode: iptables}
  controlPlaneEndpoint: {host: 172.20.0.100, port: 8443, loadBalancer: keepalived-haproxy}
  hosts:
    - {name: m1, address: 172.20.0.11, roles: [control-plane], os: centos7}
    - {name: m2, address: 172.20.0.12, roles: [control-plane], os: centos7}
    - {name: m3, address: 172.20.0.13, roles: [control-plane, worker], os: arch}
    - {name: n1, address: 172.20.0.31, roles: [worker], os: arch}
`;

interface Case {
  name: string;
  p: Prepared;
  scripts: RenderedScript[];
}

const cases: Case[] = [];
beforeAll(async () => {
  for (const [name, load] of [
    ['ha-centos7', () => prepareExample(join(EXAMPLES, 'ha-centos7.yaml'))],
    ['single-arch', () => prepareExample(join(EXAMPLES, 'single-arch.yaml'))],
    ['keepalived', () => prepareCluster(KEEPALIVED)],
  ] as const) {
    const p = await load();
    cases.push({ name, p, scripts: renderBootstrap(p) });
  }
}, 300_000);
afterAll(() => cases.forEach((c) => c.p.remove()));

const caseNamed = (name: string) => cases.find((c) => c.name === name)!;
const scriptOf = (c: Case, host: string, phase: string) => c.scripts.find((s) => s.host.name === host && s.phase === phase)?.text;

test('phases per host: certificates and load balancer on control planes, init on the first, joins on the others', () => {
  const phasesOf = (c: Case, host: string) => c.scripts.filter((s) => s.host.name === host).map((s) => s.phase);
  const ha = caseNamed('ha-centos7');
  expect(phasesOf(ha, 'cp1')).toEqual(['preflight', 'prep', 'certs', 'load-balancer', 'init', 'cni', 'ready', 'kubeconfig'].filter((p) => p !== 'kubeconfig'));
  expect(phasesOf(ha, 'cp2')).toEqual(['preflight', 'prep', 'certs', 'load-balancer', 'join-control-plane']);
  expect(phasesOf(ha, 'w1')).toEqual(['preflight', 'prep', 'join-worker']);
  expect(phasesOf(caseNamed('single-arch'), 'lab1')).toEqual(['preflight', 'prep', 'certs', 'init', 'cni', 'ready']);
  // Workers never get anything under /etc/kubernetes/pki.
  for (const c of cases) {
    for (const s of c.scripts.filter((x) => !x.host.isControlPlane)) {
      expect([s.host.name, s.phase, writtenFiles(s.text).filter((f) => f.path.startsWith('/etc/kubernetes/pki'))]).toEqual([s.host.name, s.phase, []]);
    }
  }
});

test('every script passes bash -n and shellcheck', () => {
  requireShellcheck();
  const dir = mkdtempSync(join(tmpdir(), 'k8sprep-bootstrap-sc-'));
  try {
    const files: string[] = [];
    for (const c of cases) {
      for (const s of c.scripts) {
        const text = redactSecrets(s.text);
        expect([c.name, s.host.name, s.phase, bashSyntax(text).stderr]).toEqual([c.name, s.host.name, s.phase, '']);
        const file = join(dir, `${c.name}-${s.host.name}-${s.phase}.sh`);
        writeFileSync(file, text);
        files.push(file);
      }
    }
    expect(files.length).toBeGreaterThan(30);
    expect(shellcheck(files).stdout).toBe('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The kubeadm config a host receives: documents by kind, the token and node IP as the host fills them. */
function kubeadmDocs(c: Case, host: Host): Map<string, Record<string, any>> {
  const phase = host === c.p.cluster.firstControlPlane ? 'init' : host.isControlPlane ? 'join-control-plane' : 'join-worker';
  const script = scriptOf(c, host.name, phase);
  if (!script) throw new Error(`${host.name} has no ${phase} script`);
  const file = writtenFile(
    script,
    host === c.p.cluster.firstControlPlane ? '/etc/kubernetes/k8sprep/kubeadm-init.yaml' : '/etc/kubernetes/k8sprep/kubeadm-join.yaml',
  );
  expect(file.mode).toBe('600');
  expect(redactSecrets(file.content)).toContain('token: <redacted:bootstrap-token>');
  const docs = parseAllDocuments(redactSecrets(file.content)).map((d) => d.toJS() as Record<string, any>);
  return new Map(docs.map((d) => [d.kind as string, d]));
}

test('kubeadm configs: only fields kubeadm knows for the version, with the values of the cluster file', () => {
  let checked = 0;
  for (const c of cases) {
    const cluster = c.p.cluster;
    const v = cluster.kubernetes.version;
    const beta4 = v.minor >= 31;
    const api = loadApiFields(beta4 ? 'v1beta4' : 'v1beta3');
    const endpoint = `${cluster.apiEndpoint.host}:${cluster.apiEndpoint.port}`;
    for (const host of cluster.hosts) {
      const docs = kubeadmDocs(c, host);
      const os = host.os ?? 'centos7';
      for (const [kind, doc] of docs) {
        const list =
          kind === 'KubeletConfiguration' ? loadApiFields('kubelet-v1beta1') : kind === 'KubeProxyConfiguration' ? loadApiFields('kubeproxy-v1alpha1') : api;
        expect([c.name, host.name, kind, unknownFields(doc, list, kind)]).toEqual([c.name, host.name, kind, []]);
        if (list === api) expect(doc.apiVersion).toBe(beta4 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3');
      }
      const first = host === cluster.firstControlPlane;
      const reg = (first ? docs.get('InitConfiguration') : docs.get('JoinConfiguration'))?.nodeRegistration;
      expect(reg.name).toBe(host.name);
      expect(reg.criSocket).toBe('unix:///run/containerd/containerd.sock');
      // v1beta4's kubeletExtraArgs is a list of {name, value}; v1beta3's a map.
      expect(reg.kubeletExtraArgs).toEqual(beta4 ? [{ name: 'node-ip', value: host.address }] : { 'node-ip': host.address });
      expect(reg.ignorePreflightErrors).toEqual(os === 'centos7' && v.minor >= 32 ? ['SystemVerification'] : undefined);
      expect([host.name, reg.taints]).toEqual([host.name, host.isControlPlane && host.isWorker ? [] : undefined]);
      if (first) {
        const init = docs.get('InitConfiguration')!;
        expect(init.localAPIEndpoint).toEqual({ advertiseAddress: host.address, bindPort: 6443 });
        expect(init.bootstrapTokens).toEqual([
          expect.objectContaining({
            token: '<redacted:bootstrap-token>',
            ttl: '24h0m0s',
            usages: ['signing', 'authentication'],
            groups: ['system:bootstrappers:kubeadm:default-node-token'],
          }),
        ]);
        const cc = docs.get('ClusterConfiguration')!;
        expect(cc.kubernetesVersion).toBe(`v${v.full}`);
        expect(cc.controlPlaneEndpoint).toBe(endpoint);
        expect(cc.imageRepository).toBe(cluster.kubernetes.imageRepository);
        expect(cc.networking).toEqual({
          podSubnet: cluster.kubernetes.podSubnet,
          serviceSubnet: cluster.kubernetes.serviceSubnet,
          dnsDomain: cluster.kubernetes.dnsDomain,
        });
        expect(cc.apiServer.certSANs).toEqual([cluster.apiEndpoint.host]);
        if (beta4) {
          expect([cc.certificateValidityPeriod, cc.caCertificateValidityPeriod, cc.encryptionAlgorithm]).toEqual(['8760h0m0s', '87600h0m0s', 'RSA-2048']);
        } else {
          expect(cc.certificateValidityPeriod).toBeUndefined();
        }
        expect(docs.get('KubeletConfiguration')?.cgroupDriver).toBe('systemd');
        expect(docs.get('KubeProxyConfiguration')?.mode).toBe(cluster.kubernetes.proxyMode);
      } else {
        const join = docs.get('JoinConfiguration')!;
        expect([...docs.keys()]).toEqual(['JoinConfiguration']);
        expect(join.discovery.bootstrapToken).toEqual({
          token: '<redacted:bootstrap-token>',
          apiServerEndpoint: endpoint,
          caCertHashes: [c.p.prepared.state.caCertHash],
        });
        expect(join.controlPlane).toEqual(host.isControlPlane ? { localAPIEndpoint: { advertiseAddress: host.address, bindPort: 6443 } } : undefined);
      }
      checked++;
    }
  }
  expect(checked).toBe(5 + 1 + 4);
});

test("the joins' CA hash is openssl's: sha256 of the local CA's public key (DER)", () => {
  for (const c of cases) {
    const der = execFileSync('sh', [
      '-c',
      'openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform der | sha256sum',
      'sh',
      join(c.p.prepared.state.pkiDir, 'ca.crt'),
    ]).toString();
    expect(c.p.prepared.state.caCertHash).toBe(`sha256:${der.split(' ')[0]}`);
  }
});

test('static pods pass the Pod schema; kube-vip holds the VIP on the interface of the node address, super-admin.conf only during the first init (1.29+)', () => {
  const ha = caseNamed('ha-centos7');
  const manifests: string[] = [];
  for (const host of ha.p.cluster.controlPlanes) {
    const variants = writtenFiles(scriptOf(ha, host.name, 'load-balancer')!).filter((f) => f.path === '/etc/kubernetes/manifests/kube-vip.yaml');
    // The first control plane: super-admin.conf until its init ran, admin.conf after.
    expect([host.name, variants.length]).toEqual([host.name, host === ha.p.cluster.firstControlPlane ? 2 : 1]);
    for (const f of variants) {
      expect(f.fill).toEqual({ K8SPREP_INTERFACE: '$iface' });
      manifests.push(f.content);
    }
    const paths = variants.map((f) => (new Pod(parseAllDocuments(f.content)[0]!.toJS()).spec?.volumes ?? [])[0]?.hostPath?.path);
    expect(paths).toEqual(
      host === ha.p.cluster.firstControlPlane ? ['/etc/kubernetes/admin.conf', '/etc/kubernetes/super-admin.conf'] : ['/etc/kubernetes/admin.conf'],
    );
  }
  const lb = caseNamed('keepalived');
  for (const host of lb.p.cluster.controlPlanes) {
    const script = scriptOf(lb, host.name, 'load-balancer')!;
    manifests.push(
      writtenFile(script, '/etc/kubernetes/manifests/haproxy.yaml').content,
      writtenFile(script, '/etc/kubernetes/manifests/keepalived.yaml').content,
    );
  }
  expect(manifests).toHaveLength(4 + 6);
  for (const text of manifests) {
    const pod = new Pod(parseAllDocuments(text.replace(/K8SPREP_INTERFACE/g, 'eth0'))[0]!.toJS());
    expect(() => pod.validate()).not.toThrow();
    expect(pod.spec?.hostNetwork).toBe(true);
    expect(pod.metadata?.namespace).toBe('kube-system');
  }
  const vip = new Pod(parseAllDocuments(manifests[0]!)[0]!.toJS());
  const env = Object.fromEntries((vip.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  expect(env).toMatchObject({
    address: '192.168.56.100',
    port: '6443',
    vip_arp: 'true',
    cp_enable: 'true',
    vip_leaderelection: 'true',
    vip_interface: 'K8SPREP_INTERFACE',
  });
  expect(vip.spec?.hostAliases).toEqual([{ ip: '127.0.0.1', hostnames: ['kubernetes'] }]);
  expect(vip.spec?.containers[0]?.securityContext?.capabilities?.add).toEqual(['NET_ADMIN', 'NET_RAW']);
});

test("certificates: the shared material identical on every control plane, each one's own leaves, never kubelet.conf, keys as secrets", () => {
  const ha = caseNamed('ha-centos7');
  const byHost = new Map(ha.p.cluster.controlPlanes.map((h) => [h.name, writtenFiles(scriptOf(ha, h.name, 'certs')!)]));
  const shared = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'].map(
    (f) => `/etc/kubernetes/pki/${f}`,
  );
  for (const [name, files] of byHost) {
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([...shared, '/etc/kubernetes/pki/apiserver.crt', '/etc/kubernetes/admin.conf', '/etc/kubernetes/controller-manager.conf']),
    );
    expect(paths.filter((p) => /kubelet\.conf$/.test(p))).toEqual([]);
    expect([name, paths.includes('/etc/kubernetes/super-admin.conf')]).toEqual([name, name === 'cp1']);
    for (const f of files) {
      const secret = /\.(key|conf)$/.test(f.path);
      expect([f.path, f.mode, /^\u0001k8sprep-secret:[^\u0001]+\u0001\n$/.test(f.content)]).toEqual([f.path, f.path.endsWith('.crt') ? '644' : '600', secret]);
    }
  }
  const text = (host: string, path: string) => byHost.get(host)!.find((f) => f.path === path)!.content;
  for (const p of shared) expect([p, text('cp2', p), text('cp3', p)]).toEqual([p, text('cp1', p), text('cp1', p)]);
  expect(text('cp2', '/etc/kubernetes/pki/apiserver.key')).not.toBe(text('cp1', '/etc/kubernetes/pki/apiserver.key'));
});
