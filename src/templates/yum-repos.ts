/**
 * Yum repository files for CentOS 7. URLs come from src/os/centos7.ts (per package mirror);
 * `$basearch` is yum's own variable, expanded by yum, not by the shell (files are written
 * from quoted heredocs).
 */

/** CentOS-Base.repo pointing at a vault tree (`<vault>/os`, `/updates`, `/extras`). */
export function centosVaultRepo(vaultBase: string): string {
  const section = (id: string, name: string) =>
    [
      `[${id}]`,
      `name=CentOS-7.9.2009 - ${name} (vault)`,
      `baseurl=${vaultBase}/${id === 'base' ? 'os' : id}/$basearch/`,
      'enabled=1',
      'gpgcheck=1',
      'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7',
    ].join('\n');
  return [
    '# CentOS 7 is end-of-life: its packages live on the vault. Written by k8sprep;',
    '# the original file is in /var/lib/k8sprep/backup/.',
    section('base', 'Base'),
    '',
    section('updates', 'Updates'),
    '',
    section('extras', 'Extras'),
    '',
  ].join('\n');
}

/** docker-ce's el7 repository: the source of `containerd.io` (containerd + runc). */
export function dockerCeRepo(base: string): string {
  return [
    '# containerd.io (containerd and runc) for CentOS 7. Written by k8sprep.',
    '[docker-ce-stable]',
    'name=Docker CE Stable - $basearch',
    `baseurl=${base}/7/$basearch/stable`,
    'enabled=1',
    'gpgcheck=1',
    `gpgkey=${base}/gpg`,
    '',
  ].join('\n');
}

/**
 * The community Kubernetes repository for one minor (pkgs.k8s.io layout). `exclude=` keeps
 * a casual `yum update` from moving the cluster's packages; k8sprep installs with
 * `--disableexcludes=kubernetes`.
 */
export function kubernetesRepo(minorBase: string, minor: string, excluded: readonly string[]): string {
  return [
    `# Kubernetes v${minor} packages. Written by k8sprep; install with --disableexcludes=kubernetes.`,
    '[kubernetes]',
    `name=Kubernetes v${minor}`,
    `baseurl=${minorBase}/`,
    'enabled=1',
    'gpgcheck=1',
    `gpgkey=${minorBase}/repodata/repomd.xml.key`,
    `exclude=${excluded.join(' ')}`,
    '',
  ].join('\n');
}
