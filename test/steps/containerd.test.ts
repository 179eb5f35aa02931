/**
 * containerd's config as rendered into the scripts: the version-2 body parsed by the real
 * containerd 1.6 (`containerd --config F config dump`, no daemon needed; keys it does not
 * know vanish from the dump, so every one is looked for), the version-3 body and hosts.toml
 * parsed as TOML. The script picks the body by the installed containerd's major version.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { cluster, functionBody, OSES, stepText, VERSIONS } from './fixtures.js';
import { parseToml } from './toml.js';

const PAUSE: Record<(typeof VERSIONS)[number], string> = { '1.28.15': '3.9', '1.30.6': '3.9', '1.31.2': '3.10', '1.34.2': '3.10.1' };
const REPO = 'registry.aliyuncs.com/google_containers';

/** The heredoc body that follows `opening` in `text`. */
function heredocAfter(text: string, opening: string): string {
  const start = text.indexOf(opening);
  if (start < 0) throw new Error(`not found: ${opening}`);
  const body = text.indexOf('\n', start) + 1;
  return text.slice(body, text.indexOf('\nK8SPREP_EOF\n', body) + 1);
}

function configs(text: string): { v2: string; v3: string } {
  const check = functionBody(text, 'k8sprep_step_containerd_check');
  return {
    v2: heredocAfter(check, "  1) k8sprep_file_matches /etc/containerd/config.toml 644 <<'K8SPREP_EOF' || return 1"),
    v3: heredocAfter(check, "  2) k8sprep_file_matches /etc/containerd/config.toml 644 <<'K8SPREP_EOF' || return 1"),
  };
}

function requireContainerd(): void {
  const r = spawnSync('containerd', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('containerd is not installed: install the Debian package `containerd` (apt-get install containerd); this test does not skip without it');
  }
}

describe.each(VERSIONS)('Kubernetes %s', (version) => {
  const text = stepText(cluster({ version, registries: { 'docker.io': ['https://docker.m.daocloud.io'] } }), 'w1', 'containerd');
  const { v2, v3 } = configs(text);
  const pause = `${REPO}/pause:${PAUSE[version]}`;

  test('version 2 (containerd 1.x) is read by the real containerd: SystemdCgroup, pause image, config_path', () => {
    requireContainerd();
    const dir = tempDir('k8sprep-containerd-');
    try {
      const file = join(dir.path, 'config.toml');
      writeFileSync(file, v2);
      const r = spawnSync('containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const dump = parseToml(r.stdout).values;
      const cri = 'plugins."io.containerd.grpc.v1.cri"';
      expect(dump.get('version')).toBe(2);
      expect(dump.get(`${cri}.sandbox_image`)).toBe(pause);
      expect(dump.get(`${cri}.containerd.default_runtime_name`)).toBe('runc');
      expect(dump.get(`${cri}.containerd.runtimes.runc.runtime_type`)).toBe('io.containerd.runc.v2');
      expect(dump.get(`${cri}.containerd.runtimes.runc.options.SystemdCgroup`)).toBe(true);
      expect(dump.get(`${cri}.registry.config_path`)).toBe('/etc/containerd/certs.d');
      // Every key of our file survived the dump (unknown keys would have vanished).
      for (const [key, value] of parseToml(v2).values) expect([key, dump.get(key)]).toEqual([key, value]);
    } finally {
      dir.remove();
    }
  });

  test('version 3 (containerd 2.x) uses the split CRI plugins and nothing of version 2', () => {
    const { values, tables } = parseToml(v3);
    expect(values.get('version')).toBe(3);
    expect(tables).toEqual([
      'plugins."io.containerd.cri.v1.images".pinned_images',
      'plugins."io.containerd.cri.v1.images".registry',
      'plugins."io.containerd.cri.v1.runtime".containerd',
      'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc',
      'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options',
    ]);
    expect(values.get('plugins."io.containerd.cri.v1.images".pinned_images.sandbox')).toBe(pause);
    expect(values.get('plugins."io.containerd.cri.v1.images".registry.config_path')).toBe('/etc/containerd/certs.d');
    expect(values.get('plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.runtime_type')).toBe('io.containerd.runc.v2');
    expect(values.get('plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options.SystemdCgroup')).toBe(true);
    expect(v3).not.toContain('io.containerd.grpc.v1.cri');
  });

  test('never the deprecated registry.mirrors tables', () => {
    expect(text).not.toMatch(/registry\.mirrors|registry\.configs/);
  });
});

describe('the script picks the config by the installed containerd', () => {
  const text = stepText(cluster(), 'cp1', 'containerd');
  test('major version from `containerd --version`: 1 -> version 2, 2 -> version 3, else refused', () => {
    expect(text).toContain("v=$(containerd --version 2>/dev/null | awk '{print $3}') || v=''");
    const apply = functionBody(text, 'k8sprep_step_containerd_apply');
    expect(apply).toMatch(/\n {2}1\)\n {2}if ! k8sprep_file_matches \/etc\/containerd\/config\.toml 644 <<'K8SPREP_EOF' ; then\n# containerd 1\.x \(config version 2\)/);
    expect(apply).toMatch(/\n {2}2\)\n {2}if ! k8sprep_file_matches \/etc\/containerd\/config\.toml 644 <<'K8SPREP_EOF' ; then\n# containerd 2\.x \(config version 3\)/);
    expect(apply).toContain('*) k8sprep_die "containerd --version reports major version ${major:-(none)}');
  });
  test('restarted only when the config changed; enabled and started either way', () => {
    const apply = functionBody(text, 'k8sprep_step_containerd_apply');
    expect(apply.match(/restart=yes/g)).toHaveLength(2);
    expect(apply).toContain('systemctl enable containerd');
    expect(apply).toContain('if ! systemctl is-active --quiet containerd; then systemctl start containerd; elif [ "$restart" = yes ]; then systemctl restart containerd; fi');
    expect(functionBody(text, 'k8sprep_step_containerd_check')).toMatch(/systemctl is-enabled --quiet containerd &&\nsystemctl is-active --quiet containerd$/);
  });
  test.each(OSES)('%s: the same step (only the installed version decides)', (os) => {
    expect(stepText(cluster({ os }), 'cp1', 'containerd')).toBe(text);
  });
});

describe('registry mirrors: one hosts.toml per mirrors.registries entry', () => {
  const registries = { 'docker.io': ['https://docker.m.daocloud.io', 'https://mirror.example.com:5000/v2-proxy'], 'quay.io': ['https://quay.m.daocloud.io'] };
  const text = stepText(cluster({ registries }), 'w1', 'containerd');
  test.each(Object.entries(registries))('%s', (registry, mirrors) => {
    const body = heredocAfter(functionBody(text, 'k8sprep_step_containerd_check'), `k8sprep_file_matches /etc/containerd/certs.d/${registry}/hosts.toml 644 <<'K8SPREP_EOF' || return 1`);
    const { values, tables } = parseToml(body);
    expect(values.get('server')).toBe(registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`);
    expect(tables).toEqual(mirrors.map((m) => `host.${JSON.stringify(m)}`));
    for (const m of mirrors) expect(values.get(`host.${JSON.stringify(m)}.capabilities`)).toEqual(['pull', 'resolve']);
    expect(functionBody(text, 'k8sprep_step_containerd_apply')).toContain(`k8sprep_write_file /etc/containerd/certs.d/${registry}/hosts.toml 644 <<'K8SPREP_EOF'`);
  });
  test('hosts.toml files k8sprep wrote for registries since removed are found and removed', () => {
    expect(text).toContain('local f registry known=" docker.io quay.io "');
    expect(functionBody(text, 'k8sprep_step_containerd_check')).toContain('[ -z "$(k8sprep_stale_mirrors)" ] &&');
    expect(functionBody(text, 'k8sprep_step_containerd_apply')).toContain('for f in $(k8sprep_stale_mirrors); do');
  });
});
