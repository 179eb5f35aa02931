/**
 * The cluster file `config init` writes: the same values as `clusterObject`, as YAML whose
 * comments say why each value is what it is (in the style of examples/), led by the
 * yaml-language-server line that gives editors the schema (schema-file.ts keeps it beside).
 */
import { parse } from 'yaml';
import type { Cni } from '../../cluster/types.js';
import {
  ALIYUN_IMAGE_REPOSITORY,
  CHINA_BINARY_MIRROR,
  CHINA_REGISTRY_MIRRORS,
  controlPlaneCount,
  type InitAnswers,
  UPSTREAM_IMAGE_REPOSITORY,
  VERSION_RANGES,
} from './answers.js';

const COMMENT_COLUMN = 36;

/** Plain when YAML reads it back as the same string (not `123`, `true`, `a: b`), else double-quoted (JSON is valid YAML). */
export function scalar(value: string): string {
  if (/^[A-Za-z0-9_~/.][A-Za-z0-9_~/.@+-]*$/.test(value) && (parse(`{v: ${value}}`) as { v?: unknown } | null)?.v === value) return value;
  return JSON.stringify(value);
}

/** `text` with its comment aligned like the examples. */
function line(text: string, comment?: string): string {
  if (comment === undefined) return text;
  return `${text.padEnd(COMMENT_COLUMN - 1)} # ${comment}`;
}

const CNI_NOTE: Record<Cni, string> = {
  calico: 'calico | flannel | none; calico also enforces NetworkPolicy',
  flannel: 'calico | flannel | none; flannel: simple VXLAN overlay, no NetworkPolicy',
  none: 'calico | flannel | none; none: apply your own CNI after node init',
};

/** `schemaRef`: where the yaml-language-server line points editors (a path relative to the file); none, no line. */
export function renderClusterFile(a: InitAnswers, writtenOn: Date, schemaRef?: string): string {
  const cps = controlPlaneCount(a);
  const workers = a.hosts.filter((h) => h.roles?.includes('worker')).length;
  const aliyun = a.mirrors === 'aliyun';
  const out: string[] = [
    ...(schemaRef === undefined ? [] : [`# yaml-language-server: $schema=${schemaRef}`]),
    `# Written by \`k8sprep config init\` on ${writtenOn.toISOString().slice(0, 10)}: ${cps} control plane(s), ${workers} worker(s)` +
      `${a.endpoint ? ` behind ${a.endpoint.loadBalancer}` : ''}.`,
    '# Check it with `k8sprep config validate`; see every script it leads to with `k8sprep node init --dry-run`.',
    'apiVersion: k8sprep.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    line(`  name: ${scalar(a.name ?? '')}`, `names the local state directory .k8sprep/${a.name ?? ''} (PKI, token, logs)`),
    'spec:',
    '  kubernetes:',
    line(`    version: "${a.version ?? ''}"`, `supported: ${VERSION_RANGES}`),
    aliyun
      ? line(`    imageRepository: ${ALIYUN_IMAGE_REPOSITORY}`, "kubeadm's images from aliyun's mirror (reachable in China)")
      : line(`    imageRepository: ${UPSTREAM_IMAGE_REPOSITORY}`, "kubeadm's own registry"),
    line('    podSubnet: 10.244.0.0/16', "default; must not overlap the hosts' network"),
    line('    serviceSubnet: 10.96.0.0/12', 'default; its first address is the kubernetes service'),
    line('    proxyMode: ipvs', 'default: ipvs | iptables | nftables (1.31+, not on CentOS 7)'),
    line(`    cni: ${a.cni}`, CNI_NOTE[a.cni]),
  ];
  if (a.endpoint) {
    const e = a.endpoint;
    out.push(line('  controlPlaneEndpoint:', `${cps} control planes share one address for the API server`));
    if (e.loadBalancer === 'kube-vip') {
      out.push(
        line(`    host: ${scalar(e.host ?? '')}`, 'virtual IP kube-vip moves between the control planes: a free address on their network'),
        line(`    port: ${e.port}`, "kube-vip's VIP serves the apiservers' own port, so 6443"),
        line('    loadBalancer: kube-vip', 'static pod on each control plane, ARP; nothing to install beside'),
      );
    } else if (e.loadBalancer === 'keepalived-haproxy') {
      out.push(
        line(`    host: ${scalar(e.host ?? '')}`, 'virtual IP keepalived moves between the control planes: a free address on their network'),
        line(`    port: ${e.port}`, 'haproxy runs beside the apiservers (6443), so another port'),
        line('    loadBalancer: keepalived-haproxy', "VRRP + haproxy health checks, as in kubeadm's HA guide"),
        line('    # virtualRouterId: 51', 'default; keepalived: must be unique on the network segment'),
      );
    } else {
      out.push(
        line(`    host: ${scalar(e.host ?? '')}`, 'your load balancer, forwarding to every control plane on 6443'),
        line(`    port: ${e.port}`, "the load balancer's port"),
        line('    loadBalancer: external', 'k8sprep installs nothing for it'),
      );
    }
  }
  out.push('  mirrors:');
  if (aliyun) {
    out.push(
      line('    packages: aliyun', 'yum repositories from mirrors.aliyun.com (CentOS 7)'),
      line('    registries:', 'containerd pulls these registries through mirrors in China'),
      ...Object.entries(CHINA_REGISTRY_MIRRORS).map(([registry, url]) => `      ${registry}: [${url}]`),
      line(`    binaries: ${CHINA_BINARY_MIRROR}`, 'Arch: release binaries when its repository has another version'),
    );
  } else {
    out.push(
      line('    packages: upstream', "the distributions' and pkgs.k8s.io's own repositories"),
      line('    # registries: {docker.io: [https://mirror.example]}', 'containerd mirrors, if you need any'),
    );
  }
  out.push(
    '  ssh:',
    line(`    user: ${scalar(a.sshUser)}`, a.sshUser === 'root' ? 'logs in as root' : 'not root: the scripts run through sudo (-n, or -S with --ask-pass)'),
    a.sshKey
      ? line(`    identityFile: ${scalar(a.sshKey)}`, "then ssh-agent, then ~/.ssh/config's IdentityFile")
      : line('    # identityFile: ~/.ssh/id_ed25519', 'none given: ssh-agent, ~/.ssh/config, then ~/.ssh/id_ed25519 / id_rsa'),
    line('  hosts:', 'the node names are the host names; os is read over SSH when absent'),
  );
  for (const h of a.hosts) {
    const fields = [
      `name: ${scalar(h.name ?? '')}`,
      `address: ${scalar(h.address ?? '')}`,
      `roles: [${(h.roles ?? []).join(', ')}]`,
      ...(h.os ? [`os: ${h.os}`] : []),
    ];
    out.push(`    - {${fields.join(', ')}}`);
  }
  return `${out.join('\n')}\n`;
}
