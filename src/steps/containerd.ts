/**
 * containerd configured for the kubelet: the config schema follows the *installed* major
 * version, read at run time (1.x: version 2, 2.x: version 3), with SystemdCgroup, the sandbox
 * image kubeadm expects from the cluster's image repository, config_path for registry
 * mirrors and one hosts.toml per `mirrors.registries` entry (stale k8sprep ones removed).
 * containerd restarts only when its config changed.
 */
import { pauseImage } from '../cluster/images.js';
import { fileMatches, type FileSpec, writeFile } from '../script/files.js';
import { CONTAINERD_CERTS_DIR, CONTAINERD_CONFIG, HOSTS_TOML_MARKER, containerdConfigV2, containerdConfigV3, hostsToml } from '../templates/containerd.js';
import type { Step, StepContext } from './types.js';

function configs(ctx: StepContext): { major: number; file: FileSpec }[] {
  const settings = { sandboxImage: pauseImage(ctx.cluster.kubernetes.version, ctx.cluster.kubernetes.imageRepository) };
  return [
    { major: 1, file: { path: CONTAINERD_CONFIG, mode: '644', content: containerdConfigV2(settings) } },
    { major: 2, file: { path: CONTAINERD_CONFIG, mode: '644', content: containerdConfigV3(settings) } },
  ];
}

export function mirrorFiles(ctx: StepContext): FileSpec[] {
  return Object.entries(ctx.cluster.mirrors.registries).map(([registry, mirrors]) => ({
    path: `${CONTAINERD_CERTS_DIR}/${registry}/hosts.toml`,
    mode: '644',
    content: hostsToml(registry, mirrors),
  }));
}

function helpers(ctx: StepContext): string {
  const registries = Object.keys(ctx.cluster.mirrors.registries);
  return [
    '# Major version of the installed containerd: "containerd containerd.io 1.6.33 <commit>",',
    '# "containerd github.com/containerd/containerd/v2 v2.1.4 <commit>".',
    'k8sprep_containerd_major() {',
    '  local v',
    "  v=$(containerd --version 2>/dev/null | awk '{print $3}') || v=''",
    '  v=${v#v}',
    '  printf \'%s\\n\' "${v%%.*}"',
    '}',
    '# hosts.toml files k8sprep wrote for registries no longer in the cluster file.',
    'k8sprep_stale_mirrors() {',
    `  local f registry known=" ${registries.join(' ')} "`,
    `  for f in ${CONTAINERD_CERTS_DIR}/*/hosts.toml; do`,
    '    [ -f "$f" ] || continue',
    '    registry=${f%/hosts.toml}; registry=${registry##*/}',
    '    case $known in *" $registry "*) continue ;; esac',
    `    if head -n 1 "$f" | grep -q '^${HOSTS_TOML_MARKER}'; then echo "$f"; fi`,
    '  done',
    '}',
  ].join('\n');
}

export const containerdStep: Step = {
  id: 'containerd',
  title: 'Configure containerd for Kubernetes and start it',
  appliesTo: () => true,
  helpers,
  check: (ctx) =>
    [
      'case $(k8sprep_containerd_major) in',
      ...configs(ctx).map((c) => `  ${c.major}) ${fileMatches(c.file, '|| return 1')}\n  ;;`),
      '  *) return 1 ;;',
      'esac',
      ...mirrorFiles(ctx).map((f) => fileMatches(f, '|| return 1')),
      '[ -z "$(k8sprep_stale_mirrors)" ] &&',
      'systemctl is-enabled --quiet containerd &&',
      'systemctl is-active --quiet containerd',
    ].join('\n'),
  apply: (ctx) =>
    [
      'local major restart=no f',
      'major=$(k8sprep_containerd_major)',
      'case $major in',
      ...configs(ctx).map((c) => `  ${c.major})\n  if ! ${fileMatches(c.file, '; then')}\n  ${writeFile(c.file)}\n  restart=yes\n  fi\n  ;;`),
      '  *) k8sprep_die "containerd --version reports major version ${major:-(none)}: k8sprep writes configs for containerd 1.x (config version 2) and 2.x (version 3)" ;;',
      'esac',
      ...mirrorFiles(ctx).map(writeFile),
      'for f in $(k8sprep_stale_mirrors); do',
      '  k8sprep_backup "$f"',
      '  rm -f "$f"',
      '  rmdir "${f%/hosts.toml}" 2>/dev/null || true',
      'done',
      'systemctl enable containerd',
      'if ! systemctl is-active --quiet containerd; then systemctl start containerd; elif [ "$restart" = yes ]; then systemctl restart containerd; fi',
    ].join('\n'),
};
