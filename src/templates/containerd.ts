/**
 * containerd's config.toml for the CRI (DESIGN §4), one per config schema: containerd 1.6/1.7
 * read `version = 2`, containerd 2.x reads `version = 3` (its CRI plugin split into
 * io.containerd.cri.v1.images and io.containerd.cri.v1.runtime). Registry mirrors are
 * hosts.toml files under `config_path`, never the deprecated `registry.mirrors` tables.
 * `runtime_type` is spelled out: a runtimes.runc table replaces the default entry.
 */
export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CONTAINERD_CERTS_DIR = '/etc/containerd/certs.d';
export const CONTAINERD_SOCKET = 'unix:///run/containerd/containerd.sock';

export interface ContainerdSettings {
  /** e.g. registry.aliyuncs.com/google_containers/pause:3.9 (a validated image reference). */
  sandboxImage: string;
}

export function containerdConfigV2(s: ContainerdSettings): string {
  return `# containerd 1.x (config version 2), written by k8sprep.
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${s.sandboxImage}"

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "${CONTAINERD_CERTS_DIR}"
`;
}

export function containerdConfigV3(s: ContainerdSettings): string {
  return `# containerd 2.x (config version 3), written by k8sprep.
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = '${s.sandboxImage}'

[plugins.'io.containerd.cri.v1.images'.registry]
  config_path = '${CONTAINERD_CERTS_DIR}'

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'runc'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true
`;
}

/** The registry's real endpoint: Docker Hub's API is not at docker.io. */
function registryServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

/** First line of every hosts.toml k8sprep writes: marks the directories it may remove again. */
export const HOSTS_TOML_MARKER = '# Registry mirrors, written by k8sprep';

/** `certs.d/<registry>/hosts.toml`: try the mirrors in order, then the registry itself. */
export function hostsToml(registry: string, mirrors: readonly string[]): string {
  return [
    `${HOSTS_TOML_MARKER} for ${registry}.`,
    `server = "${registryServer(registry)}"`,
    ...mirrors.flatMap((m) => ['', `[host."${m}"]`, '  capabilities = ["pull", "resolve"]']),
    '',
  ].join('\n');
}
