/** kubelet/kubeadm/kubectl of exactly the cluster's version, per OS. */
import { cluster, functionBody, stepText, VERSIONS } from './fixtures.js';

const check = (text: string) => functionBody(text, 'k8sprep_step_kubernetes_packages_check');
const apply = (text: string) => functionBody(text, 'k8sprep_step_kubernetes_packages_apply');

describe.each(VERSIONS)('Kubernetes %s', (version) => {
  test('CentOS 7: the exact versions from the kubernetes repo, past its exclude=', () => {
    const text = stepText(cluster({ version }), 'cp1', 'kubernetes-packages');
    expect(check(text)).toContain(`rpm -q kubelet-${version} kubeadm-${version} kubectl-${version} >/dev/null 2>&1`);
    expect(apply(text)).toContain(
      `yum install -y -q --setopt=skip_missing_names_on_install=False --disableexcludes=kubernetes kubelet-${version} kubeadm-${version} kubectl-${version}`,
    );
  });

  test('every tool must report the version, kubelet enabled', () => {
    const text = stepText(cluster({ version }), 'w1', 'kubernetes-packages');
    expect(text).toContain(`[ "$got" = v${version} ] || echo "kubeadm ($(command -v kubeadm || echo missing)) reports $got, not v${version}"`);
    expect(text).toContain(`[ "$got" = v${version} ] || echo "kubectl`);
    expect(text).toContain(`[ "$got" = v${version} ] || echo "kubelet`);
    expect(check(text)).toMatch(/\[ -z "\$\(k8sprep_kube_version_problems\)" \] &&\nsystemctl is-enabled --quiet kubelet$/);
    expect(apply(text)).toContain(`[ -z "$problems" ] || k8sprep_die "after installing Kubernetes ${version}: $problems"`);
    expect(apply(text).trim().split('\n').at(-1)).toBe('systemctl enable kubelet');
  });

  test("Arch: pacman when the repository has exactly this version", () => {
    const text = stepText(cluster({ version, os: 'arch' }), 'cp1', 'kubernetes-packages');
    expect(apply(text)).toContain(`repo=$(k8sprep_pacman_repo_version kubeadm)\nif [ "$repo" = ${version} ]; then\n  pacman -S --needed --noconfirm kubeadm kubelet kubectl\nelse`);
    expect(check(text)).toContain(`{ [ "$(k8sprep_pacman_local_version kubeadm)" = ${version} ] && [ "$(k8sprep_pacman_local_version kubelet)" = ${version} ]`);
  });

  test.each([
    ['the default mirror (whatever mirrors.packages says)', {}, 'https://dl.k8s.io'],
    ['upstream packages', { packages: 'upstream' as const }, 'https://dl.k8s.io'],
    ['mirrors.binaries', { binaries: 'https://files.m.daocloud.io/dl.k8s.io/' }, 'https://files.m.daocloud.io/dl.k8s.io'],
  ])('Arch, another version in the repository, %s: release binaries from %p, sha256-checked, with the kubelet unit and kubeadm drop-in', (_what, options, base) => {
    const text = apply(stepText(cluster({ version, os: 'arch', ...options }), 'cp1', 'kubernetes-packages'));
    expect(text).toContain(`  url=${base}/release/v${version}/bin/linux/$arch/$p\n`);
    expect(text).toContain('  sum=$(curl -fsSL --retry 5 --retry-delay 2 "$url.sha256")');
    expect(text).toContain('sha256sum -c --quiet - >/dev/null 2>&1; then');
    expect(text).toContain('k8sprep_die "$url does not match its published sha256 checksum ($url.sha256): refusing to install it (a corrupted download or a bad mirror)"');
    expect(text).toContain('install -m 755 "$tmp/$p" /usr/local/bin/"$p"');
    expect(text).toContain("k8sprep_write_file /etc/systemd/system/kubelet.service 644 <<'K8SPREP_EOF'");
    expect(text).toContain('ExecStart=/usr/local/bin/kubelet\nRestart=always');
    expect(text).toContain("k8sprep_write_file /etc/systemd/system/kubelet.service.d/10-kubeadm.conf 644 <<'K8SPREP_EOF'");
    expect(text).toContain('ExecStart=\nExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS');
    expect(text).toContain('systemctl daemon-reload');
    // Every download verified before anything changes: the first install (pacman's
    // dependencies included) comes after the download loop.
    expect(text.indexOf('sha256sum -c')).toBeLessThan(text.indexOf('pacman -S --needed --noconfirm conntrack-tools socat ethtool'));
    expect(text.indexOf('pacman -S --needed --noconfirm conntrack-tools')).toBeLessThan(text.indexOf('install -m 755'));
    // pacman's own copies of another version would shadow or fight the binaries: refused.
    expect(text).toContain(`conflicts=$(k8sprep_pacman_kube_conflicts ${version} | paste -sd ',' - | sed 's/,/, /g')`);
    expect(text).toContain(`[ -z "$conflicts" ] || k8sprep_die "pacman has $conflicts installed, but the cluster needs ${version}, which Arch's repository does not have`);
  });
});
