/**
 * The API load balancers as static pods (DESIGN §4), one manifest per control plane:
 *
 * kube-vip (ARP, leader election): what `kube-vip manifest pod --controlplane --arp
 * --leaderElection --interface I --address VIP` generates (kube-vip's pkg/kubevip
 * config_generator.go). Its port is also the local apiserver's, hence 6443. The kubeconfig is
 * mounted at /etc/kubernetes/admin.conf; on the first control plane during `kubeadm init` of
 * 1.29+ the hostPath is super-admin.conf (admin.conf has no rights until init has created its
 * ClusterRoleBinding: kube-vip issue #684), switched to admin.conf right after.
 *
 * keepalived + haproxy (kubeadm's docs/ha-considerations.md): keepalived moves the VIP between
 * control planes (MASTER on the first, BACKUP elsewhere, a check script on the endpoint port);
 * haproxy on the endpoint port (never 6443: the apiserver has it) balances the apiservers with
 * an HTTPS /healthz check. The interface holding the host's address is known only on the host:
 * INTERFACE_PLACEHOLDER, filled there.
 */
// Types only (erased at build): the manifests are checked against the Pod API at compile time.
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { stringify } from 'yaml';
import { HAPROXY_IMAGE, KEEPALIVED_IMAGE, KUBE_VIP_IMAGE } from '../cluster/addons.js';
import type { Cluster, Host } from '../cluster/types.js';
import { APISERVER_BIND_PORT } from './kubeadm-config.js';

export const INTERFACE_PLACEHOLDER = 'K8SPREP_INTERFACE';
export const KUBE_VIP_MANIFEST = '/etc/kubernetes/manifests/kube-vip.yaml';
export const HAPROXY_MANIFEST = '/etc/kubernetes/manifests/haproxy.yaml';
export const KEEPALIVED_MANIFEST = '/etc/kubernetes/manifests/keepalived.yaml';
export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg';
export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';
export const CHECK_APISERVER = '/etc/keepalived/check_apiserver.sh';

function yamlDoc(pod: IPod): string {
  return stringify(pod, { lineWidth: 0, indentSeq: false });
}

function hostPathVolume(name: string, path: string, type?: NonNullable<IVolume['hostPath']>['type']): IVolume {
  return { name, hostPath: { path, ...(type ? { type } : {}) } };
}

export function kubeVipManifest(cluster: Cluster, kubeconfig: '/etc/kubernetes/admin.conf' | '/etc/kubernetes/super-admin.conf'): string {
  const env = (name: string, value: string) => ({ name, value });
  return yamlDoc({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'kube-vip', namespace: 'kube-system' },
    spec: {
      containers: [
        {
          name: 'kube-vip',
          image: KUBE_VIP_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          args: ['manager'],
          env: [
            env('vip_arp', 'true'),
            env('port', String(APISERVER_BIND_PORT)),
            { name: 'vip_nodename', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            env('vip_interface', INTERFACE_PLACEHOLDER),
            env('vip_cidr', '32'),
            env('dns_mode', 'first'),
            env('cp_enable', 'true'),
            env('cp_namespace', 'kube-system'),
            env('vip_leaderelection', 'true'),
            env('vip_leasename', 'plndr-cp-lock'),
            env('vip_leaseduration', '5'),
            env('vip_renewdeadline', '3'),
            env('vip_retryperiod', '1'),
            env('address', cluster.vip ?? ''),
          ],
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] } },
          volumeMounts: [{ name: 'kubeconfig', mountPath: '/etc/kubernetes/admin.conf' }],
        },
      ],
      hostAliases: [{ ip: '127.0.0.1', hostnames: ['kubernetes'] }],
      hostNetwork: true,
      volumes: [hostPathVolume('kubeconfig', kubeconfig)],
    },
  });
}

/** `leaving`: control planes being reset, no longer backends. */
export function haproxyConfig(cluster: Cluster, leaving: readonly string[] = []): string {
  const port = cluster.apiEndpoint.port;
  const servers = cluster.controlPlanes
    .filter((h) => !leaving.includes(h.name))
    .map((h) => `    server ${h.name} ${h.address}:${APISERVER_BIND_PORT} check verify none`);
  return [
    "# haproxy in front of the control planes' apiservers, written by k8sprep (kubeadm ha-considerations).",
    'global',
    '    log stdout format raw local0',
    '',
    'defaults',
    '    mode                    http',
    '    log                     global',
    '    option                  httplog',
    '    option                  dontlognull',
    '    option                  redispatch',
    '    retries                 1',
    '    timeout http-request    10s',
    '    timeout queue           20s',
    '    timeout connect         5s',
    '    timeout client          35s',
    '    timeout server          35s',
    '    timeout http-keep-alive 10s',
    '    timeout check           10s',
    '',
    'frontend apiserver',
    `    bind *:${port}`,
    '    mode tcp',
    '    option tcplog',
    '    default_backend apiserverbackend',
    '',
    'backend apiserverbackend',
    '    option httpchk',
    '    http-check connect ssl',
    '    http-check send meth GET uri /healthz',
    '    http-check expect status 200',
    '    mode tcp',
    '    balance roundrobin',
    ...servers,
    '',
  ].join('\n');
}

export function haproxyManifest(cluster: Cluster): string {
  return yamlDoc({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'haproxy', namespace: 'kube-system' },
    spec: {
      containers: [
        {
          name: 'haproxy',
          image: HAPROXY_IMAGE,
          livenessProbe: { failureThreshold: 8, httpGet: { host: 'localhost', path: '/healthz', port: cluster.apiEndpoint.port, scheme: 'HTTPS' } },
          volumeMounts: [{ name: 'haproxyconf', mountPath: '/usr/local/etc/haproxy/haproxy.cfg', readOnly: true }],
        },
      ],
      hostNetwork: true,
      volumes: [hostPathVolume('haproxyconf', HAPROXY_CFG, 'FileOrCreate')],
    },
  });
}

/** keepalived's priority: the first control plane highest (MASTER), then descending in cluster-file order. */
function keepalivedPriority(cluster: Cluster, host: Host): number {
  return 101 - cluster.controlPlanes.indexOf(host);
}

/** `authPass` is the secret's placeholder (at most 8 characters when filled). */
export function keepalivedConfig(cluster: Cluster, host: Host, authPass: string, virtualRouterId: number): string {
  const first = host === cluster.firstControlPlane;
  return [
    '! keepalived for the Kubernetes API VIP, written by k8sprep (kubeadm ha-considerations).',
    'global_defs {',
    '    router_id LVS_DEVEL',
    '    enable_script_security',
    '    script_user root',
    '}',
    'vrrp_script check_apiserver {',
    `    script "${CHECK_APISERVER}"`,
    '    interval 3',
    '    weight -2',
    '    fall 10',
    '    rise 2',
    '}',
    '',
    'vrrp_instance VI_1 {',
    `    state ${first ? 'MASTER' : 'BACKUP'}`,
    `    interface ${INTERFACE_PLACEHOLDER}`,
    `    virtual_router_id ${virtualRouterId}`,
    `    priority ${keepalivedPriority(cluster, host)}`,
    '    authentication {',
    '        auth_type PASS',
    `        auth_pass ${authPass}`,
    '    }',
    '    virtual_ipaddress {',
    `        ${cluster.vip ?? ''}`,
    '    }',
    '    track_script {',
    '        check_apiserver',
    '    }',
    '}',
    '',
  ].join('\n');
}

export function checkApiserverScript(cluster: Cluster): string {
  const port = cluster.apiEndpoint.port;
  return [
    '#!/bin/sh',
    "# keepalived lowers this node's priority while the API does not answer here. Written by k8sprep.",
    `curl -sfk --max-time 2 https://localhost:${port}/healthz -o /dev/null || { echo "*** Error GET https://localhost:${port}/healthz" >&2; exit 1; }`,
    '',
  ].join('\n');
}

export function keepalivedManifest(): string {
  return yamlDoc({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'keepalived', namespace: 'kube-system' },
    spec: {
      containers: [
        {
          name: 'keepalived',
          image: KEEPALIVED_IMAGE,
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'] } },
          volumeMounts: [
            { name: 'config', mountPath: '/usr/local/etc/keepalived/keepalived.conf' },
            { name: 'check', mountPath: CHECK_APISERVER },
          ],
        },
      ],
      hostNetwork: true,
      volumes: [hostPathVolume('config', KEEPALIVED_CONF), hostPathVolume('check', CHECK_APISERVER)],
    },
  });
}
