/**
 * The API load balancer on every control plane, before its `kubeadm init` or `join`
 * (`controlPlaneEndpoint.loadBalancer`): kube-vip's static pod, or keepalived and haproxy as
 * static pods with their configs; nothing for `external`. Files from src/templates/load-balancer.ts;
 * the interface holding the host's address is found on the host.
 */
import { KUBE_VIP_IMAGE } from '../../cluster/addons.js';
import type { Cluster } from '../../cluster/types.js';
import { fileMatches, type TemplateSpec, templateMatches, writeFile, writeTemplate } from '../../script/files.js';
import {
  CHECK_APISERVER,
  checkApiserverScript,
  HAPROXY_CFG,
  HAPROXY_MANIFEST,
  haproxyConfig,
  haproxyManifest,
  INTERFACE_PLACEHOLDER,
  KEEPALIVED_CONF,
  KEEPALIVED_MANIFEST,
  keepalivedConfig,
  keepalivedManifest,
  KUBE_VIP_MANIFEST,
  kubeVipManifest,
} from '../../templates/load-balancer.js';
import type { Step, StepContext } from '../types.js';
import { ADDRESS_INTERFACE, KUBELET_CONF, nodeIpFunction } from './host-values.js';

const lbOf = (cluster: Cluster) => cluster.controlPlaneEndpoint?.loadBalancer;

/** Kubernetes 1.29+: admin.conf has no rights while `kubeadm init` runs (kube-vip #684); only the host that inits. */
export function needsSuperAdminDuringInit(ctx: StepContext): boolean {
  return ctx.bootstrap?.initHost === ctx.host.name && ctx.cluster.kubernetes.version.minor >= 29;
}

function helpers(ctx: StepContext): string[] {
  return [nodeIpFunction(ctx), ADDRESS_INTERFACE];
}

function kubeVipFile(ctx: StepContext, kubeconfig: '/etc/kubernetes/admin.conf' | '/etc/kubernetes/super-admin.conf'): TemplateSpec {
  return { path: KUBE_VIP_MANIFEST, mode: '600', content: kubeVipManifest(ctx.cluster, kubeconfig), fill: { [INTERFACE_PLACEHOLDER]: '$iface' } };
}

/** The manifest this node should have now: super-admin.conf on the first control plane until its init has run. */
function kubeVipNow(ctx: StepContext, then: string): string[] {
  const admin = kubeVipFile(ctx, '/etc/kubernetes/admin.conf');
  const lines = ['local iface', 'iface=$(k8sprep_address_interface "$(k8sprep_node_ip)")'];
  if (!needsSuperAdminDuringInit(ctx)) return [...lines, then === 'write' ? writeTemplate(admin) : templateMatches(admin)];
  const superAdmin = kubeVipFile(ctx, '/etc/kubernetes/super-admin.conf');
  return [
    ...lines,
    `if [ -e ${KUBELET_CONF} ]; then`,
    `  ${then === 'write' ? writeTemplate(admin) : templateMatches(admin)}`,
    'else',
    `  ${then === 'write' ? writeTemplate(superAdmin) : templateMatches(superAdmin)}`,
    'fi',
  ];
}

export const kubeVipStep: Step = {
  id: 'kube-vip',
  title: `Run kube-vip (${KUBE_VIP_IMAGE}) as a static pod holding the API's virtual IP`,
  appliesTo: (ctx) => ctx.host.isControlPlane && lbOf(ctx.cluster) === 'kube-vip' && ctx.cluster.vip !== undefined,
  helpers,
  check: (ctx) => kubeVipNow(ctx, 'check').join('\n'),
  apply: (ctx) => ['mkdir -p /etc/kubernetes/manifests', ...kubeVipNow(ctx, 'write')].join('\n'),
};

function keepalivedFiles(ctx: StepContext): { plain: { path: string; mode: string; content: string }[]; conf: TemplateSpec } {
  const endpoint = ctx.cluster.controlPlaneEndpoint;
  const vrid = endpoint?.loadBalancer === 'keepalived-haproxy' ? endpoint.virtualRouterId : 51;
  return {
    plain: [
      { path: CHECK_APISERVER, mode: '755', content: checkApiserverScript(ctx.cluster) },
      { path: KEEPALIVED_MANIFEST, mode: '600', content: keepalivedManifest() },
    ],
    conf: {
      path: KEEPALIVED_CONF,
      mode: '600',
      content: keepalivedConfig(ctx.cluster, ctx.host, ctx.secret('keepalived-auth-pass'), vrid),
      fill: { [INTERFACE_PLACEHOLDER]: '$iface' },
    },
  };
}

export const keepalivedStep: Step = {
  id: 'keepalived',
  title: 'Run keepalived as a static pod moving the virtual IP between control planes',
  appliesTo: (ctx) => ctx.host.isControlPlane && lbOf(ctx.cluster) === 'keepalived-haproxy' && ctx.cluster.vip !== undefined,
  helpers,
  check: (ctx) => {
    const f = keepalivedFiles(ctx);
    return [
      'local iface',
      'iface=$(k8sprep_address_interface "$(k8sprep_node_ip)")',
      ...f.plain.map((p) => fileMatches(p, '|| return 1')),
      templateMatches(f.conf),
    ].join('\n');
  },
  apply: (ctx) => {
    const f = keepalivedFiles(ctx);
    return [
      'local iface',
      'iface=$(k8sprep_address_interface "$(k8sprep_node_ip)")',
      'mkdir -p /etc/kubernetes/manifests',
      ...f.plain.map(writeFile),
      writeTemplate(f.conf),
    ].join('\n');
  },
};

function haproxyFiles(ctx: StepContext) {
  return {
    cfg: { path: HAPROXY_CFG, mode: '644', content: haproxyConfig(ctx.cluster, ctx.bootstrap?.leaving) },
    manifest: { path: HAPROXY_MANIFEST, mode: '600', content: haproxyManifest(ctx.cluster) },
  };
}

/** How long a restarted haproxy may take to run again and answer through its frontend. */
export const HAPROXY_RESTART_SECONDS = 90;

/**
 * `k8sprep_haproxy_back PORT SECONDS`: until the kubelet runs haproxy again (crictl ps is also
 * when the kubelet's state is looked at) and its frontend on PORT answers /readyz with ok.
 */
const HAPROXY_BACK = String.raw`k8sprep_haproxy_back() {
  local deadline=$((SECONDS + $2)) body
  while :; do
    if [ -n "$(crictl ps -q --name '^haproxy$' --state running 2>/dev/null)" ]; then
      body=$(curl -sfk --noproxy '*' --max-time 2 "https://127.0.0.1:$1/readyz" 2>/dev/null) && [ "$body" = ok ] && return 0
    fi
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 1
  done
}`;

/**
 * haproxy reads its config at start, and the kubelet does not restart a static pod when a file
 * it mounts changes: a changed backend list (a control plane joined or left) restarts the
 * running container (stopped, the kubelet starts it again), and the step waits until it answers
 * again — the cluster operations and joins after it go through this frontend (the VIP's holder).
 */
export const haproxyStep: Step = {
  id: 'haproxy',
  title: "Run haproxy as a static pod balancing the control planes' apiservers",
  appliesTo: (ctx) => ctx.host.isControlPlane && lbOf(ctx.cluster) === 'keepalived-haproxy',
  helpers: () => HAPROXY_BACK,
  check: (ctx) => [haproxyFiles(ctx).cfg, haproxyFiles(ctx).manifest].map((f) => fileMatches(f, '|| return 1')).join('\n'),
  apply: (ctx) => {
    const { cfg, manifest } = haproxyFiles(ctx);
    const port = ctx.cluster.apiEndpoint.port;
    return [
      'local id restarted=no',
      'mkdir -p /etc/kubernetes/manifests',
      `if ! ${fileMatches(cfg, '; then')}`,
      `  ${writeFile(cfg)}`,
      '  for id in $(crictl ps -q --name \'^haproxy$\' 2>/dev/null); do crictl stop "$id" >/dev/null; restarted=yes; done',
      'fi',
      writeFile(manifest),
      'if [ "$restarted" = yes ]; then',
      `  k8sprep_haproxy_back ${port} ${HAPROXY_RESTART_SECONDS} || k8sprep_die "haproxy did not run again and answer on port ${port} within ${HAPROXY_RESTART_SECONDS} s of its restart for the new backend list"`,
      'fi',
    ].join('\n');
  },
};
