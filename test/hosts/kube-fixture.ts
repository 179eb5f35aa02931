/**
 * Hand-made material for driving the Kubernetes stand-ins directly (not through k8sprep): a test
 * host prepared as `node init`'s preparation would leave it, certificates made with the real
 * openssl, and the discovery hash computed with Node's own crypto (not the stand-in's code).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './proc.js';
import type { ExecResult, TestHost } from './types.js';

/**
 * bash inside the host without this machine's dotfiles (host.exec's stdin is a socket: a plain
 * bash would take itself for an rsh session and read ~/.bashrc). Three minutes before it is
 * killed: a shared 2-CPU machine can be slow, and a kubeadm join does a lot of openssl.
 */
export function hostSh(host: TestHost, script: string, opts: { args?: readonly string[]; input?: string } = {}): Promise<ExecResult> {
  return host.exec(['bash', '--norc', '--noprofile', '-c', script, 'bash', ...(opts.args ?? [])], { input: opts.input, timeoutMs: 180_000 });
}

export async function hostShOk(host: TestHost, script: string, opts: { args?: readonly string[]; input?: string } = {}): Promise<string> {
  const r = await hostSh(host, `set -o pipefail; ${script}`, opts);
  if (r.code !== 0) throw new Error(`${host.name}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * kubeadm, kubelet, kubectl (and crictl) of `version` installed, containerd running, the kubelet
 * enabled, swap off, br_netfilter loaded, ip_forward on, the release's images pulled.
 */
export async function prepareKubeNode(host: TestHost, version: string): Promise<void> {
  const minor = version.split('.').slice(0, 2).join('.');
  const [release, repo, crictl] = host.os === 'centos7' ? ['150500.1.1', 'kubernetes', 'cri-tools'] : ['1', 'extra', 'crictl'];
  await hostShOk(
    host,
    [
      '. /usr/lib/k8sprep-testhost/lib.sh && . "$TH_LIB/standins/kube.sh"',
      'for p in kubeadm kubelet kubectl; do th_pkg_put "$p" "$1" "$3" "$4"; done',
      'th_pkg_put "$5" "$2.0" "$3" "$4"',
      'th_unit_set containerd.service enabled active && th_unit_set kubelet.service enabled inactive',
      'swapoff -a && modprobe br_netfilter && sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1',
      'th_kube_images "$1" registry.k8s.io >>"$TH_STATE/images"',
    ].join('\n'),
    { args: [version, minor, release, repo, crictl] },
  );
}

/** Writes files (path relative to `root` -> content) into the host, creating directories. */
export async function putFiles(host: TestHost, root: string, files: Record<string, string>, mode = '644'): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await hostShOk(host, 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"', { args: [join(root, rel), mode], input: content });
  }
}

/** `sha256:` + hex SHA-256 of the certificate's DER SubjectPublicKeyInfo (kubeadm's discovery hash). */
export function caCertHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** A PKI directory on this machine, made with openssl: CAs, leaves, the service-account pair. */
export class HandMadePki {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'etcd'), { recursive: true });
  }

  read(rel: string): string {
    return readFileSync(join(this.dir, rel), 'utf8');
  }

  async ca(base: string, cn: string): Promise<void> {
    const p = join(this.dir, base);
    await runOk('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${p}.key`,
      '-out',
      `${p}.crt`,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,digitalSignature',
    ]);
  }

  /** base.crt/.key signed by ca (a base in this directory, or another HandMadePki's path). */
  async leaf(base: string, caPath: string, cn: string, sans: readonly string[], usage = 'serverAuth'): Promise<void> {
    const p = join(this.dir, base);
    const alt = sans.map((s) => (/^\d+\.\d+\.\d+\.\d+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
    writeFileSync(`${p}.ext`, `${alt ? `subjectAltName=${alt}\n` : ''}extendedKeyUsage=${usage}\n`);
    await runOk('openssl', [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${p}.key`,
      '-out',
      `${p}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    await runOk('openssl', [
      'x509',
      '-req',
      '-in',
      `${p}.csr`,
      '-CA',
      `${caPath}.crt`,
      '-CAkey',
      `${caPath}.key`,
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      `${p}.ext`,
      '-out',
      `${p}.crt`,
    ]);
  }

  async serviceAccount(): Promise<void> {
    await runOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(this.dir, 'sa.key')]);
    await runOk('openssl', ['pkey', '-in', join(this.dir, 'sa.key'), '-pubout', '-out', join(this.dir, 'sa.pub')]);
  }

  /** What control planes share: ca, front-proxy-ca, etcd/ca (crt and key), sa.key and sa.pub. */
  async shared(): Promise<void> {
    await this.ca('ca', 'kubernetes');
    await this.ca('front-proxy-ca', 'front-proxy-ca');
    await this.ca('etcd/ca', 'etcd-ca');
    await this.serviceAccount();
  }

  sharedFiles(): Record<string, string> {
    const names = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'];
    return Object.fromEntries(names.map((n) => [n, this.read(n)]));
  }

  /** A kubeconfig embedding base.crt as its CA (a client certificate signed by it too). */
  async kubeconfig(caBase: string, server: string): Promise<string> {
    const client = `${caBase}-client`;
    await this.leaf(client, join(this.dir, caBase), 'kubernetes-admin', [], 'clientAuth');
    const b64 = (rel: string) => Buffer.from(this.read(rel)).toString('base64');
    return [
      'apiVersion: v1',
      'kind: Config',
      'current-context: kubernetes-admin@kubernetes',
      'clusters:',
      '- name: kubernetes',
      '  cluster:',
      `    certificate-authority-data: ${b64(`${caBase}.crt`)}`,
      `    server: ${server}`,
      'contexts:',
      '- name: kubernetes-admin@kubernetes',
      '  context: {cluster: kubernetes, user: kubernetes-admin}',
      'users:',
      '- name: kubernetes-admin',
      '  user:',
      `    client-certificate-data: ${b64(`${client}.crt`)}`,
      `    client-key-data: ${b64(`${client}.key`)}`,
      '',
    ].join('\n');
  }
}
