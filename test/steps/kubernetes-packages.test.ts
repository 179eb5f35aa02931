/**
 * kubelet/kubeadm/kubectl of exactly the cluster's version, per OS: the step run for real in a
 * fixture root (fixture-root.ts) with a faked package manager whose packages lay down tools
 * that report their version, and on Arch a release-binary mirror served by this test on its
 * own loopback address (the real curl downloads, the real sha256sum checks).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { FAKE_STATE, installedPackages, onInstall, RPM, SYSTEMCTL, unitState, YUM } from './fakes.js';
import { FixtureRoot } from './fixture-root.js';
import { cluster, type ClusterOptions, stepScript, VERSIONS } from './fixtures.js';
import { listenOnFreePort } from '../helpers/listen.js';

const TOOLS = ['kubeadm', 'kubelet', 'kubectl'] as const;

/** A tool that answers its version question as the real one does. */
function tool(name: string, version: string): string {
  const answer: Record<string, string> = {
    kubeadm: `[ "$*" = 'version -o short' ] && echo v${version}`,
    kubectl: `printf 'Client Version: v${version}\\nKustomize Version: v5.0.4\\n'`,
    kubelet: `[ "$1" = --version ] && echo 'Kubernetes v${version}'`,
  };
  return `#!/bin/bash\n${answer[name]}\n`;
}

/** An install hook laying down `name` at `dir`, reporting `version`. */
function layTool(name: string, version: string, dir = '/usr/bin'): string {
  return `cat >${dir}/${name} <<'EOF'\n${tool(name, version)}EOF\nchmod 755 ${dir}/${name}`;
}

let roots: FixtureRoot[] = [];
function root(files: Record<string, string>, commands: Record<string, string>): FixtureRoot {
  const r = new FixtureRoot({ [`${FAKE_STATE}/.keep`]: '', ...files }, { systemctl: SYSTEMCTL, ...commands });
  // This machine's own copies (if any) are not the host's.
  r.hide([...TOOLS]);
  roots.push(r);
  return r;
}
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
});

function run(r: FixtureRoot, options: ClusterOptions) {
  return r.run(stepScript(cluster(options), 'cp1', 'kubernetes-packages'));
}

/** run() for scripts that download from this test's mirror. */
function runAsync(r: FixtureRoot, options: ClusterOptions) {
  return r.runAsync(stepScript(cluster(options), 'cp1', 'kubernetes-packages'));
}

describe.each(VERSIONS)('CentOS 7, Kubernetes %s', (version) => {
  const hooks = Object.assign({}, ...TOOLS.map((t) => onInstall(`${t}-${version}`, layTool(t, version)))) as Record<string, string>;

  test('the exact versions from the Kubernetes repo, past its exclude=; kubelet enabled; a second run unchanged', () => {
    const r = root(hooks, { rpm: RPM, yum: YUM });
    const first = run(r, { version });
    expect([first.status, first.steps['kubernetes-packages']]).toEqual([0, 'changed']);
    expect(run(r, { version }).steps['kubernetes-packages']).toBe('unchanged');
    const installs = r.callsOf('yum').filter((c) => c[0] === 'install');
    expect(installs).toHaveLength(1);
    expect(installs[0]?.filter((a) => !a.startsWith('-'))).toEqual(['install', `kubelet-${version}`, `kubeadm-${version}`, `kubectl-${version}`]);
    // yum skips unknown names unless told not to; the repo's exclude= holds them back otherwise.
    expect(installs[0]).toEqual(expect.arrayContaining(['--setopt=skip_missing_names_on_install=False', '--disableexcludes=kubernetes']));
    expect(unitState((p) => r.read(p), 'kubelet.service')).toBe('enabled inactive');
  });
});

describe('every tool must report the cluster version', () => {
  const version = '1.30.6';
  test('an older kubelet earlier in PATH: the step fails naming it, and kubelet is not enabled', () => {
    const files = Object.assign({}, ...TOOLS.map((t) => onInstall(`${t}-${version}`, layTool(t, version)))) as Record<string, string>;
    const r = root(files, { rpm: RPM, yum: YUM });
    r.write('/usr/local/bin/kubelet', { content: tool('kubelet', '1.30.5'), mode: 0o755 });
    const result = run(r, { version });
    expect([result.status, result.steps['kubernetes-packages']]).toEqual([1, 'failed']);
    expect(result.stderr).toContain(`k8sprep: after installing Kubernetes ${version}: kubelet (/usr/local/bin/kubelet) reports v1.30.5, not v${version}`);
    expect(unitState((p) => r.read(p), 'kubelet.service')).toBeUndefined();
  });
  test('installed packages that report the version: nothing to do', () => {
    const r = root(
      { ...installedPackages(TOOLS.map((t) => `${t}-${version}`)), [`${FAKE_STATE}/units/kubelet.service`]: 'enabled inactive\n' },
      { rpm: RPM, yum: YUM },
    );
    for (const t of TOOLS) r.write(`/usr/bin/${t}`, { content: tool(t, version), mode: 0o755 });
    expect(run(r, { version }).steps['kubernetes-packages']).toBe('unchanged');
    expect(r.callsOf('yum')).toEqual([]);
  });
});

/**
 * pacman with a sync database offering the Kubernetes tools at `repo`: -Si/-Q answer like
 * pacman ("Version : X-1", "NAME X-1"), -S installs (tools reporting `repo`, and the
 * dependencies the release binaries need).
 */
function pacman(repo: string): string {
  return String.raw`DB=${FAKE_STATE}/packages
touch "$DB"
op=$1; shift
names=(); for a in "$@"; do case $a in -*) ;; *) names+=("$a") ;; esac; done
case $op in
  -Si) case ${'$'}{names[0]} in kubeadm | kubelet | kubectl) printf 'Repository      : extra\nName            : %s\nVersion         : ${repo}-1\n' "${'$'}{names[0]}" ;; *) exit 1 ;; esac ;;
  -Q) for n in "${'$'}{names[@]}"; do grep -q "^$n " "$DB" || exit 1; done; for n in "${'$'}{names[@]}"; do grep "^$n " "$DB"; done ;;
  -S)
    for n in "${'$'}{names[@]}"; do
      grep -q "^$n " "$DB" && continue
      case $n in kubeadm | kubelet | kubectl) echo "$n ${repo}-1" >>"$DB"; bash ${FAKE_STATE}/on-install/$n ;; *) echo "$n 1.0-1" >>"$DB" ;; esac
    done ;;
esac`;
}

describe('Arch', () => {
  const version = '1.33.5';
  const hooks = Object.assign({}, ...TOOLS.map((t) => onInstall(t, layTool(t, version)))) as Record<string, string>;

  test("the repository has the cluster's version: pacman's packages, no release binaries", () => {
    const r = root(hooks, { pacman: pacman(version) });
    const first = run(r, { version, os: 'arch' });
    expect([first.status, first.steps['kubernetes-packages']]).toEqual([0, 'changed']);
    expect(run(r, { version, os: 'arch' }).steps['kubernetes-packages']).toBe('unchanged');
    expect(r.callsOf('pacman').filter((c) => c[0] === '-S')).toEqual([['-S', '--needed', '--noconfirm', 'kubeadm', 'kubelet', 'kubectl']]);
    for (const t of TOOLS) expect([t, r.read(`/usr/local/bin/${t}`)]).toEqual([t, undefined]);
    expect(unitState((p) => r.read(p), 'kubelet.service')).toBe('enabled inactive');
  });

  describe('another version in the repository: the release binaries from mirrors.binaries', () => {
    const MIRROR_HOST = '127.0.0.74';
    let server: Server;
    let base: string;
    const requests: string[] = [];
    /** Tools served with a wrong checksum. */
    const corrupt = new Set<string>();
    beforeAll(async () => {
      server = createServer((req, res) => {
        requests.push(req.url ?? '');
        const m = /^\/release\/v([\d.]+)\/bin\/linux\/amd64\/(kubeadm|kubelet|kubectl)(\.sha256)?$/.exec(req.url ?? '');
        if (!m) {
          res.writeHead(404).end();
          return;
        }
        const body = tool(m[2] ?? '', m[1] ?? '');
        const sum = createHash('sha256')
          .update(corrupt.has(m[2] ?? '') ? `${body}x` : body)
          .digest('hex');
        res.writeHead(200).end(m[3] ? sum : body);
      });
      base = `http://${MIRROR_HOST}:${await listenOnFreePort(server, MIRROR_HOST)}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
      requests.length = 0;
      corrupt.clear();
    });

    test('downloaded, checksums verified, installed with the kubelet unit and kubeadm drop-in; kubelet enabled after daemon-reload', async () => {
      const r = root({}, { pacman: pacman('1.35.0') });
      const options = { version, os: 'arch' as const, binaries: base };
      const first = await runAsync(r, options);
      expect([first.status, first.steps['kubernetes-packages']]).toEqual([0, 'changed']);
      expect((await runAsync(r, options)).steps['kubernetes-packages']).toBe('unchanged');
      for (const t of TOOLS) {
        expect([t, r.read(`/usr/local/bin/${t}`), r.mode(`/usr/local/bin/${t}`)]).toEqual([t, tool(t, version), 0o755]);
      }
      const unit = r.read('/etc/systemd/system/kubelet.service') ?? '';
      expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/kubelet$/m);
      const dropIn = r.read('/etc/systemd/system/kubelet.service.d/10-kubeadm.conf') ?? '';
      expect(dropIn.split('\n').filter((l) => l.startsWith('ExecStart='))).toEqual([
        'ExecStart=',
        'ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS',
      ]);
      const systemctl = r.callsOf('systemctl').map((c) => c.join(' '));
      expect(systemctl.indexOf('daemon-reload')).toBeGreaterThanOrEqual(0);
      expect(systemctl.indexOf('enable kubelet')).toBeGreaterThan(systemctl.indexOf('daemon-reload'));
      // What the kubelet and kubeadm's preflight run, which pacman's kubelet would have brought.
      expect(
        r
          .callsOf('pacman')
          .filter((c) => c[0] === '-S')
          .flatMap((c) => c.slice(3)),
      ).toEqual(expect.arrayContaining(['conntrack-tools', 'socat', 'ethtool']));
      expect(requests).toEqual(TOOLS.flatMap((t) => [`/release/v${version}/bin/linux/amd64/${t}`, `/release/v${version}/bin/linux/amd64/${t}.sha256`]));
    });

    test('a binary whose checksum does not match is refused, and nothing is installed', async () => {
      corrupt.add('kubelet');
      const r = root({}, { pacman: pacman('1.35.0') });
      const result = await runAsync(r, { version, os: 'arch', binaries: base });
      expect([result.status, result.steps['kubernetes-packages']]).toEqual([1, 'failed']);
      const url = `${base}/release/v${version}/bin/linux/amd64/kubelet`;
      expect(result.stderr).toContain(
        `k8sprep: ${url} does not match its published sha256 checksum (${url}.sha256): refusing to install it (a corrupted download or a bad mirror)`,
      );
      for (const t of TOOLS) expect([t, r.read(`/usr/local/bin/${t}`)]).toEqual([t, undefined]);
      expect(r.read('/etc/systemd/system/kubelet.service')).toBeUndefined();
      expect(r.callsOf('pacman').filter((c) => c[0] === '-S')).toEqual([]);
    });

    test("pacman's own Kubernetes packages of another version are refused, before anything is downloaded", async () => {
      const r = root({ [`${FAKE_STATE}/packages`]: 'kubelet 1.35.0-1\n' }, { pacman: pacman('1.35.0') });
      const result = await runAsync(r, { version, os: 'arch', binaries: base });
      expect([result.status, result.steps['kubernetes-packages']]).toEqual([1, 'failed']);
      expect(result.stderr).toContain(
        `k8sprep: pacman has kubelet 1.35.0 installed, but the cluster needs ${version}, which Arch's repository does not have (it has 1.35.0)`,
      );
      expect(requests).toEqual([]);
    });
  });
});
