/**
 * The containerd step run for real in a fixture root (fixture-root.ts) with a fake
 * `containerd --version`: the config it writes for the installed major version, read back by
 * the real containerd 1.6 (`containerd --config F config dump`, no daemon needed; keys it does
 * not know vanish from the dump, so every one is looked for) or parsed as TOML (smol-toml) for
 * version 3; the hosts.toml files per mirror; when containerd is restarted.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, type TomlTable } from 'smol-toml';
import { tempDir } from '../helpers/cli.js';
import { FAKE_STATE, SYSTEMCTL, unitState, units } from './fakes.js';
import { FixtureRoot } from './fixture-root.js';
import { cluster, type ClusterOptions, OSES, stepScript, VERSIONS } from './fixtures.js';

const PAUSE: Record<(typeof VERSIONS)[number], string> = { '1.28.15': '3.9', '1.30.6': '3.9', '1.31.2': '3.10', '1.34.2': '3.10.1' };
const REPO = 'registry.aliyuncs.com/google_containers';
const CONFIG = '/etc/containerd/config.toml';
const VERSION_LINE = {
  1: 'containerd containerd.io 1.6.33 d2d58213f83a351ca8f528a95fbd145f5654e957',
  2: 'containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7193e4e490e9fbdc236c0e811ccaba3376',
};

function requireContainerd(): void {
  const r = spawnSync('containerd', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('containerd is not installed: install the Debian package `containerd` (apt-get install containerd); this test does not skip without it');
  }
}

let roots: FixtureRoot[] = [];
/** A root whose `containerd --version` prints `versionLine` (nothing and exit 127 when empty). */
function root(versionLine: string, files: Record<string, string> = {}): FixtureRoot {
  const answer = versionLine ? `[ "$1" = --version ] && echo '${versionLine}'` : 'exit 127';
  const r = new FixtureRoot({ [`${FAKE_STATE}/.keep`]: '', ...files }, { systemctl: SYSTEMCTL, containerd: answer });
  roots.push(r);
  return r;
}
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
});

function run(r: FixtureRoot, options: ClusterOptions = {}) {
  return r.run(stepScript(cluster(options), 'w1', 'containerd'));
}

/** A nested TOML value by its path of keys. */
function at(table: TomlTable, ...path: string[]): unknown {
  return path.reduce<unknown>((t, key) => (t && typeof t === 'object' ? (t as Record<string, unknown>)[key] : undefined), table);
}

/** Every leaf of a TOML table, as [path, value]. */
function leaves(table: TomlTable, prefix: string[] = []): [string[], unknown][] {
  return Object.entries(table).flatMap(([key, value]) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? leaves(value as TomlTable, [...prefix, key])
      : [[[...prefix, key], value] as [string[], unknown]],
  );
}

describe.each(VERSIONS)('Kubernetes %s', (version) => {
  const pause = `${REPO}/pause:${PAUSE[version]}`;

  test('containerd 1.x: config version 2, read by the real containerd (SystemdCgroup, pause image, config_path); enabled and started once', () => {
    requireContainerd();
    const r = root(VERSION_LINE[1]);
    const first = run(r, { version });
    expect([first.status, first.steps.containerd, run(r, { version }).steps.containerd]).toEqual([0, 'changed', 'unchanged']);
    const written = r.read(CONFIG) ?? '';
    const dir = tempDir('k8sprep-containerd-');
    try {
      const file = join(dir.path, 'config.toml');
      writeFileSync(file, written);
      const dumped = spawnSync('containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
      expect([dumped.status, dumped.stderr]).toEqual([0, '']);
      const dump = parseToml(dumped.stdout);
      const cri = ['plugins', 'io.containerd.grpc.v1.cri'];
      expect(dump.version).toBe(2);
      expect(at(dump, ...cri, 'sandbox_image')).toBe(pause);
      expect(at(dump, ...cri, 'containerd', 'default_runtime_name')).toBe('runc');
      expect(at(dump, ...cri, 'containerd', 'runtimes', 'runc', 'runtime_type')).toBe('io.containerd.runc.v2');
      expect(at(dump, ...cri, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup')).toBe(true);
      expect(at(dump, ...cri, 'registry', 'config_path')).toBe('/etc/containerd/certs.d');
      // Every key of the written file survived the dump (unknown keys would have vanished).
      const ours = leaves(parseToml(written));
      expect(ours.length).toBeGreaterThan(5);
      for (const [path, value] of ours) expect([path, at(dump, ...path)]).toEqual([path, value]);
      // Never the deprecated mirror tables, which cannot be mixed with config_path.
      expect([at(dump, ...cri, 'registry', 'mirrors'), at(dump, ...cri, 'registry', 'configs')].map((t) => Object.keys((t as object) ?? {}).length)).toEqual([
        0, 0,
      ]);
    } finally {
      dir.remove();
    }
    expect(unitState((p) => r.read(p), 'containerd.service')).toBe('enabled active');
    expect(r.callsOf('systemctl').filter((c) => c[0] === 'start' || c[0] === 'restart')).toEqual([['start', 'containerd']]);
  });

  test('containerd 2.x: config version 3 with the split CRI plugins, nothing of version 2', () => {
    const r = root(VERSION_LINE[2]);
    expect(run(r, { version }).steps.containerd).toBe('changed');
    const config = parseToml(r.read(CONFIG) ?? '');
    expect(config.version).toBe(3);
    expect(Object.keys(config.plugins as TomlTable).sort()).toEqual(['io.containerd.cri.v1.images', 'io.containerd.cri.v1.runtime']);
    const images = ['plugins', 'io.containerd.cri.v1.images'];
    const runtime = ['plugins', 'io.containerd.cri.v1.runtime', 'containerd'];
    expect(at(config, ...images, 'pinned_images', 'sandbox')).toBe(pause);
    expect(at(config, ...images, 'registry', 'config_path')).toBe('/etc/containerd/certs.d');
    expect(at(config, ...runtime, 'default_runtime_name')).toBe('runc');
    expect(at(config, ...runtime, 'runtimes', 'runc', 'runtime_type')).toBe('io.containerd.runc.v2');
    expect(at(config, ...runtime, 'runtimes', 'runc', 'options', 'SystemdCgroup')).toBe(true);
  });
});

describe('the installed containerd decides', () => {
  test.each(OSES)('%s: the same outcome (only the installed version matters)', (os) => {
    const r = root(VERSION_LINE[2]);
    expect(r.run(stepScript(cluster({ os }), 'w1', 'containerd')).steps.containerd).toBe('changed');
    expect(parseToml(r.read(CONFIG) ?? '').version).toBe(3);
  });

  test('no usable `containerd --version`: the step fails saying so, and writes nothing', () => {
    const r = root('');
    const result = run(r);
    expect([result.status, result.steps.containerd]).toEqual([1, 'failed']);
    expect(result.stderr).toContain(
      'k8sprep: containerd --version reports major version (none): k8sprep writes configs for containerd 1.x (config version 2) and 2.x (version 3)',
    );
    expect(r.read(CONFIG)).toBeUndefined();
  });

  test('running with another config: replaced (backed up) and containerd restarted; running with the right one: not restarted', () => {
    const r = root(VERSION_LINE[1], { [CONFIG]: 'version = 2\n', ...units({ 'containerd.service': 'enabled active' }) });
    expect(run(r).steps.containerd).toBe('changed');
    expect(r.read('/var/lib/k8sprep/backup/fixture-run/etc/containerd/config.toml')).toBe('version = 2\n');
    expect(r.callsOf('systemctl').filter((c) => c[0] === 'start' || c[0] === 'restart')).toEqual([['restart', 'containerd']]);
    r.clearCalls();
    // A new mirror only adds a hosts.toml, which containerd reads per pull: no restart.
    expect(run(r, { registries: { 'docker.io': ['https://docker.m.daocloud.io'] } }).steps.containerd).toBe('changed');
    expect(r.callsOf('systemctl').filter((c) => c[0] === 'start' || c[0] === 'restart')).toEqual([]);
  });
});

describe('registry mirrors: one hosts.toml per mirrors.registries entry', () => {
  const registries = { 'docker.io': ['https://docker.m.daocloud.io', 'https://mirror.example.com:5000/v2-proxy'], 'quay.io': ['https://quay.m.daocloud.io'] };

  test.each(Object.entries(registries))('%s: the registry itself as server, each mirror for pull and resolve, in order', (registry, mirrors) => {
    const r = root(VERSION_LINE[1]);
    expect(run(r, { registries }).steps.containerd).toBe('changed');
    const hosts = parseToml(r.read(`/etc/containerd/certs.d/${registry}/hosts.toml`) ?? '');
    expect(hosts.server).toBe(registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`);
    expect(Object.keys(hosts.host as TomlTable)).toEqual(mirrors);
    for (const m of mirrors) expect([m, at(hosts, 'host', m, 'capabilities')]).toEqual([m, ['pull', 'resolve']]);
  });

  test("a registry removed from the cluster file: k8sprep's hosts.toml goes (backed up), one k8sprep did not write stays", () => {
    const ours = '# Registry mirrors, written by k8sprep for ghcr.io.\nserver = "https://ghcr.io"\n';
    const theirs = 'server = "https://registry.internal"\n';
    const r = root(VERSION_LINE[1], { '/etc/containerd/certs.d/ghcr.io/hosts.toml': ours, '/etc/containerd/certs.d/registry.internal/hosts.toml': theirs });
    const first = run(r, { registries });
    expect([first.status, first.steps.containerd, run(r, { registries }).steps.containerd]).toEqual([0, 'changed', 'unchanged']);
    expect(r.read('/etc/containerd/certs.d/ghcr.io/hosts.toml')).toBeUndefined();
    expect(r.read('/var/lib/k8sprep/backup/fixture-run/etc/containerd/certs.d/ghcr.io/hosts.toml')).toBe(ours);
    expect(r.read('/etc/containerd/certs.d/registry.internal/hosts.toml')).toBe(theirs);
  });
});
