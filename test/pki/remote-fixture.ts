/**
 * Control planes for the remote PKI tests: a node tree of `certs generate`
 * (DIR/nodes/<host>) as the files the read script returns, and test hosts seeded in
 * kubeadm's layout: /etc/kubernetes from that tree, the four static pod manifests,
 * cri-tools installed, containerd and the kubelet running (so the stand-in crictl runs the
 * static pods and the stand-in apiserver serves /healthz with the host's apiserver.crt).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Host } from '../../src/cluster/types.js';
import type { HostFile } from '../../src/pki/host-files.js';
import { issueCert, loadCa } from '../../src/pki/issue.js';
import { generateRsaKeyPair } from '../../src/pki/keys.js';
import { renderKubeconfig } from '../../src/pki/kubeconfig.js';
import { kubeletKubeconfigSpec } from '../../src/pki/spec.js';
import type { ExecResult, TestHost } from '../hosts/index.js';
import { modes } from './tools.js';

const ROTATED = '/var/lib/kubelet/pki/kubelet-client-current.pem';

/**
 * The kubelet.conf kubeadm writes on a node (k8sprep never makes one): the node's client
 * certificate embedded and signed by the cluster CA in `pkiDir`, or (`rotated`) pointing at the
 * kubelet's own rotated certificate, as kubeadm leaves it once the kubelet runs.
 */
export async function kubeletConf(pkiDir: string, cluster: Cluster, host: Host, style: 'embedded' | 'rotated'): Promise<string> {
  const spec = kubeletKubeconfigSpec(cluster, host);
  const caPem = readFileSync(join(pkiDir, 'ca.crt'), 'utf8');
  const key = await generateRsaKeyPair(2048);
  const certPem = issueCert(spec.cert, key.publicKey, loadCa('ca', caPem, readFileSync(join(pkiDir, 'ca.key'), 'utf8')), {
    hours: cluster.certificates.certValidityHours,
    now: new Date(),
  });
  const text = renderKubeconfig({ server: spec.server, caPem, user: spec.user, certPem, keyPem: key.privateKey });
  if (style === 'embedded') return text;
  return text.replace(/client-certificate-data: .*/, `client-certificate: ${ROTATED}`).replace(/client-key-data: .*/, `client-key: ${ROTATED}`);
}

function hostFile(rel: string, text: string, mode: number): HostFile {
  return { path: rel, text, mode, owner: '0:0', sha256: createHash('sha256').update(text).digest('hex') };
}

/** A control plane's /etc/kubernetes as kubeadm leaves it: k8sprep's node tree plus the kubelet.conf kubeadm writes. */
export async function hostFilesFrom(
  pkiDir: string,
  cluster: Cluster,
  hostName: string,
  style: 'embedded' | 'rotated' = 'embedded',
): Promise<Map<string, HostFile>> {
  const host = cluster.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host ${hostName}`);
  const files = remoteFilesFrom(join(pkiDir, 'nodes', hostName));
  files.set('kubelet.conf', hostFile('kubelet.conf', await kubeletConf(pkiDir, cluster, host, style), 0o600));
  return files;
}

/** Every file of a node tree as the read script would report it. */
export function remoteFilesFrom(tree: string): Map<string, HostFile> {
  const out = new Map<string, HostFile>();
  for (const [rel, m] of modes(tree)) {
    if (m.isDir) continue;
    const bytes = readFileSync(join(tree, rel));
    out.set(rel, {
      path: rel,
      text: bytes.toString('utf8'),
      mode: statSync(join(tree, rel)).mode & 0o777,
      owner: '0:0',
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return out;
}

export const STATIC_PODS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

/** A static pod manifest with the flags the stand-in apiserver reads (kubeadm's values; the port is the node's bindPort). */
function manifest(name: string, address: string, apiserverPort: number): string {
  const flags =
    name === 'kube-apiserver'
      ? [
          `--advertise-address=${address}`,
          `--secure-port=${apiserverPort}`,
          '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
          '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
        ]
      : [];
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: {name: ${name}, namespace: kube-system}`,
    'spec:',
    '  containers:',
    `  - name: ${name}`,
    '    command:',
    `    - ${name}`,
    ...flags.map((f) => `    - ${f}`),
    '',
  ].join('\n');
}

/**
 * bash inside the host without this machine's dotfiles: host.exec's stdin is a socket, so a
 * plain bash would take itself for an rsh session and run ~/.bashrc (pyenv and all).
 */
export function hostBash(host: TestHost, script: string, opts: { args?: string[]; input?: string } = {}): Promise<ExecResult> {
  return host.exec(['bash', '--norc', '--noprofile', '-c', script, 'bash', ...(opts.args ?? [])], opts.input === undefined ? {} : { input: opts.input });
}

export async function hostBashOk(host: TestHost, script: string, opts: { args?: string[]; input?: string } = {}): Promise<string> {
  const r = await hostBash(host, `set -o pipefail; ${script}`, opts);
  if (r.code !== 0) throw new Error(`${host.name}: ${script} ${(opts.args ?? []).join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * /etc/kubernetes as kubeadm leaves a control plane: `tree` (a node tree of the local PKI, modes
 * kept, root-owned) plus `kubeletConf` (kubeadm writes it; k8sprep never does), manifests, crictl,
 * containerd and the kubelet running, static pods up; the apiserver on `apiserverPort` (a node
 * made with another localAPIEndpoint.bindPort than 6443).
 */
export async function seedControlPlane(host: TestHost, tree: string, kubeletConfText: string, apiserverPort = 6443): Promise<void> {
  const tar = execFileSync('tar', ['-C', tree, '--owner=0', '--group=0', '-cz', '.']).toString('base64');
  await hostBashOk(host, 'mkdir -p /etc/kubernetes/manifests && base64 -d | tar -xz -C /etc/kubernetes', { input: tar });
  await hostBashOk(host, 'umask 077 && cat >/etc/kubernetes/kubelet.conf', { input: kubeletConfText });
  for (const name of STATIC_PODS) {
    await hostBashOk(host, 'cat >"$1"', { args: [`/etc/kubernetes/manifests/${name}.yaml`], input: manifest(name, host.address, apiserverPort) });
  }
  // As if installed by `node init`: crictl (cri-tools on CentOS), containerd and the kubelet running.
  const crictl = host.os === 'centos7' ? 'cri-tools 1.30.0 150500.1.1 kubernetes' : 'crictl 1.30.0 1 extra';
  await hostBashOk(
    host,
    `. /usr/lib/k8sprep-testhost/lib.sh && th_pkg_put ${crictl} && th_unit_set containerd.service enabled active && th_unit_set kubelet.service enabled active`,
  );
  await startStaticPods(host);
}

/** What the kubelet would do after a reboot: bring the static pods up (the stand-in crictl syncs them). */
export async function startStaticPods(host: TestHost): Promise<void> {
  await hostBashOk(host, 'crictl ps');
  await waitForHealthz(host);
}

/** bash: sets $port to the host's apiserver port (its manifest's --secure-port; 6443 without one). */
export const APISERVER_PORT_SH =
  'port=$(grep -o -e "--secure-port=[0-9]*" /etc/kubernetes/manifests/kube-apiserver.yaml 2>/dev/null | cut -d= -f2); port=${port:-6443}';

/** The host's apiserver answers /healthz (verified with its ca.crt) on its manifest's port, from inside the host. */
export async function healthz(host: TestHost): Promise<{ code: number; body: string }> {
  const r = await hostBash(host, `${APISERVER_PORT_SH}; curl -sS --noproxy "*" --max-time 5 --cacert /etc/kubernetes/pki/ca.crt "https://$1:$port/healthz"`, {
    args: [host.address],
  });
  return { code: r.code, body: r.code === 0 ? r.stdout : r.stderr };
}

export async function waitForHealthz(host: TestHost, timeoutMs = 10_000): Promise<void> {
  let last = { code: -1, body: '' };
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    last = await healthz(host);
    if (last.code === 0 && last.body === 'ok') return;
  }
  throw new Error(`${host.name}: /healthz not ok: ${last.body}`);
}

/** The running static pods' container ids by name (crictl ps -a in the host's own format). */
export async function containers(host: TestHost): Promise<Map<string, string>> {
  const out = await host.readFile('/var/lib/k8sprep-testhost/containers');
  const map = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [id, name, state] = line.split('\t');
    if (state === 'Running' && id && name) map.set(name, id);
  }
  return map;
}
