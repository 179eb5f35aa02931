/**
 * The CNI on the first control plane (DESIGN §4 "CNI"): the pinned release's manifest
 * downloaded on the host (its upstream URL, or `<mirrors.manifests>/<host>/<path>`, or
 * `spec.kubernetes.cniManifest.url`), its sha256 checked — against `cniManifest.sha256`, the
 * project's table, or the checksum the state dir recorded at its first download; with none of
 * those it is trusted on first use: the script reports it (fact `manifest_sha256`), the runner
 * records it and the summary says so — then the pod CIDR set (calico's CALICO_IPV4POOL_CIDR
 * ships commented out: uncommented and set; flannel's net-conf.json `Network`), kept under
 * /etc/kubernetes/k8sprep/cni/, and `kubectl apply`. Done once its DaemonSet exists.
 */
import { cniRelease, manifestUrl } from '../../cluster/addons.js';
import type { Cluster } from '../../cluster/types.js';
import { shq } from '../../script/quote.js';
import type { Step, StepContext } from '../types.js';
import { KUBECTL } from './host-values.js';

export const MANIFEST_FACT = 'manifest_sha256';
export const CNI_DIR = '/etc/kubernetes/k8sprep/cni';

export interface CniPlan {
  cni: 'calico' | 'flannel';
  url: string;
  /** Expected sha256, or undefined: trust on first use. */
  sha256: string | undefined;
  /** Where the applied manifest is kept. */
  file: string;
  /** The DaemonSet whose existence says the CNI was applied: namespace and name. */
  daemonSet: [string, string];
}

export function cniPlan(cluster: Cluster, trusted: ReadonlyMap<string, string>): CniPlan | undefined {
  const release = cniRelease(cluster);
  if (!release) return undefined;
  const pinned = cluster.kubernetes.cniManifest;
  const url = pinned?.url ?? manifestUrl(release.url, cluster.mirrors.manifests);
  const sha256 = pinned?.sha256 ?? release.sha256 ?? trusted.get(url);
  return {
    cni: release.cni,
    url,
    sha256,
    file: `${CNI_DIR}/${release.cni}-${release.version}.yaml`,
    daemonSet: release.cni === 'calico' ? ['kube-system', 'calico-node'] : ['kube-flannel', 'kube-flannel-ds'],
  };
}

function plan(ctx: StepContext): CniPlan {
  const p = cniPlan(ctx.cluster, ctx.bootstrap?.state?.trustedChecksums ?? new Map());
  if (!p) throw new Error('no CNI to apply');
  return p;
}

/** Sets the pod CIDR in the downloaded manifest ($1), failing when the manifest does not have the place for it. */
function setPodCidr(p: CniPlan, podSubnet: string): string[] {
  if (p.cni === 'calico') {
    return [
      "# calico.yaml ships these two lines commented out (12 spaces in): uncomment them, with the cluster's pod CIDR.",
      'grep -q \'^ *# - name: CALICO_IPV4POOL_CIDR$\' "$1" || k8sprep_die "the calico manifest has no commented CALICO_IPV4POOL_CIDR entry to set the pod CIDR in"',
      // | as the delimiter: the CIDR has a slash.
      `sed -i -e '/^ *# - name: CALICO_IPV4POOL_CIDR$/{s/# - name/- name/;n;s|^\\( *\\)#   value: .*|\\1  value: "${podSubnet}"|}' "$1"`,
      `grep -q '^ *value: "${podSubnet}"$' "$1" || k8sprep_die "could not set CALICO_IPV4POOL_CIDR in the calico manifest"`,
    ];
  }
  return [
    'grep -q \'"Network": "[0-9./]*"\' "$1" || k8sprep_die "the flannel manifest has no net-conf.json Network to set the pod CIDR in"',
    `sed -i -e 's#"Network": "[0-9./]*"#"Network": "${podSubnet}"#' "$1"`,
    `grep -qF '"Network": "${podSubnet}"' "$1" || k8sprep_die "could not set Network in the flannel manifest's net-conf.json"`,
  ];
}

export const cniStep: Step = {
  id: 'cni',
  title: 'Apply the CNI with the pod CIDR',
  appliesTo: (ctx) => ctx.cluster.kubernetes.cni !== 'none',
  helpers: (ctx) => {
    const p = plan(ctx);
    return [
      KUBECTL,
      [
        '# k8sprep_cni_patch FILE: the pod CIDR set in the downloaded manifest.',
        'k8sprep_cni_patch() {',
        ...setPodCidr(p, ctx.cluster.kubernetes.podSubnet).map((l) => `  ${l}`),
        '}',
      ].join('\n'),
    ];
  },
  check: (ctx) => {
    const p = plan(ctx);
    return `[ -s ${p.file} ] && k8sprep_kubectl -n ${p.daemonSet[0]} get daemonset ${p.daemonSet[1]} -o name >/dev/null 2>&1`;
  },
  apply: (ctx) => {
    const p = plan(ctx);
    return [
      'local tmp sum',
      'tmp=$(mktemp)',
      `curl -fsSL --retry 3 --retry-delay 2 --max-time 120 -o "$tmp" ${shq(p.url)} || { rm -f "$tmp"; k8sprep_die ${shq(`downloading ${p.url} failed`)}; }`,
      'sum=$(sha256sum "$tmp" | awk \'{print $1}\')',
      p.sha256
        ? `[ "$sum" = ${p.sha256} ] || { rm -f "$tmp"; k8sprep_die ${shq(`${p.url} has sha256 `)}"$sum"${shq(`, not the expected ${p.sha256}: refusing to apply it (a changed upstream file or a bad mirror)`)}; }`
        : `k8sprep_fact ${MANIFEST_FACT} "$sum ${p.url}"`,
      'k8sprep_cni_patch "$tmp"',
      `mkdir -p ${CNI_DIR}`,
      `k8sprep_write_file ${p.file} 644 <"$tmp"`,
      'rm -f "$tmp"',
      `k8sprep_kubectl apply -f ${p.file} >&2`,
    ].join('\n');
  },
  // The DaemonSet exists as soon as the apply returns.
};
