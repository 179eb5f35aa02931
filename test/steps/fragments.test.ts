/**
 * The shell logic inside steps, run by the real bash (and this machine's awk, mawk: the
 * scripts must not depend on gawk) against stand-in commands defined as shell functions:
 * version parsing, port owners, the worker image filter, the pull retry loop.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PREAMBLE } from '../../src/script/preamble.js';
import { runBash } from '../helpers/bash.js';
import { FixtureRoot } from './fixture-root.js';
import { cluster, ctxFor, functionBody, stepById, stepText } from './fixtures.js';

/** Runs `body` as a function after the stand-ins and a step's helpers (strict mode, as in the scripts). */
function run(fakes: string, helpers: string, body: string) {
  return runBash(
    ['set -euo pipefail', 'k8sprep_die() { echo "k8sprep: $*" >&2; exit 1; }', fakes, helpers, `k8sprep_test() {\n${body}\n}`, 'k8sprep_test'].join('\n'),
  );
}

function helpersOf(stepId: string, hostName = 'cp1', os: 'centos7' | 'arch' = 'centos7', c = cluster({ os })): string {
  const helpers = stepById(stepId).helpers?.(ctxFor(c, hostName, os)) ?? '';
  return typeof helpers === 'string' ? helpers : helpers.join('\n');
}

describe('containerd major version', () => {
  test.each([
    ['containerd containerd.io 1.6.33 d2d58213f83a351ca8f528a95fbd145f5654e957', '1'],
    ['containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7193e4e490e9fbdc236c0e811ccaba3376', '2'],
    ['containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3', '1'],
    ['', ''],
  ])('%j -> %j', (version, major) => {
    const fake = version ? `containerd() { echo '${version}'; }` : 'containerd() { return 127; }';
    expect(run(fake, helpersOf('containerd'), 'k8sprep_containerd_major').stdout).toBe(`${major}\n`);
  });
});

describe("pacman's versions (Arch)", () => {
  const fake = String.raw`pacman() {
  case "$1 $2" in
    "-Si kubeadm") printf 'Repository      : extra\nName            : kubeadm\nVersion         : 1:1.34.2-2\nDescription     : x\n' ;;
    "-Si kubectl") return 1 ;;
    "-Q kubeadm") echo 'kubeadm 1.30.6-1' ;;
    *) return 1 ;;
  esac
}`;
  test('sync database version without epoch and pkgrel; empty when absent', () => {
    const r = run(
      fake,
      helpersOf('kubernetes-packages', 'cp1', 'arch'),
      'k8sprep_pacman_repo_version kubeadm; k8sprep_pacman_repo_version kubectl; k8sprep_pacman_local_version kubeadm; k8sprep_pacman_local_version kubelet',
    );
    expect(r.stdout).toBe('1.34.2\n\n1.30.6\n\n');
  });
});

describe('Arch preflight: pacman or release binaries, decided before anything changes', () => {
  // The mirror is this test's own loopback address, where nothing listens: the real curl fails.
  const c = cluster({ version: '1.33.5', os: 'arch', binaries: 'http://127.0.0.73:9' });
  const pacman = (repo: string, local: Record<string, string> = {}) => String.raw`pacman() {
  case "$1" in
    -Si) [ "$2" = kubeadm ] && printf 'Repository      : extra
Name            : kubeadm
Version         : ${repo}-1
' ;;
    -Q) case "$2" in ${Object.entries(local)
      .map(([p, v]) => `${p}) echo '${p} ${v}-1' ;;`)
      .join(' ')} *) return 1 ;; esac ;;
    *) return 1 ;;
  esac
}`;
  const preflight = (fakes: string) => {
    const body = [
      PREAMBLE,
      fakes,
      stepText(c, 'w1', 'preflight', 'arch'),
      'K8SPREP_PROBLEMS=()',
      'k8sprep_preflight_kubernetes_source',
      'printf \'PROBLEM %s\\n\' "${K8SPREP_PROBLEMS[@]}"',
    ];
    return runBash(body.join('\n'), ['test-run']);
  };

  test("the repository has the cluster's version: pacman, nothing else to check", () => {
    const r = preflight(pacman('1.33.5'));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '::k8sprep-fact:: kubernetes_repo_version 1.33.5\nPROBLEM \n', '']);
  });

  test('another version: a note, and every reason the binaries cannot be installed, at once', () => {
    const r = preflight(pacman('1.35.0', { kubelet: '1.35.0' }));
    expect(r.stdout.split('\n')).toEqual([
      '::k8sprep-fact:: kubernetes_repo_version 1.35.0',
      "PROBLEM pacman has kubelet 1.35.0 installed, but the cluster needs 1.33.5, which Arch's repository does not have (it has 1.35.0): the 1.33.5 release binaries cannot go beside it. Remove the packages (pacman -R kubeadm kubelet kubectl) and run again, or set kubernetes.version to 1.35.0",
      expect.stringMatching(
        /^PROBLEM Arch's repository has kubeadm 1\.35\.0, not 1\.33\.5, so the 1\.33\.5 release binaries are needed, but http:\/\/127\.0\.0\.73:9\/release\/v1\.33\.5\/bin\/linux\/amd64\/kubeadm\.sha256 could not be downloaded \(curl: \(7\) .*\): set spec\.mirrors\.binaries to a reachable copy of https:\/\/dl\.k8s\.io \(in China: https:\/\/files\.m\.daocloud\.io\/dl\.k8s\.io\), or kubernetes\.version to 1\.35\.0$/,
      ),
      '',
    ]);
    expect(r.stderr).toBe(
      "k8sprep: note: Arch's repository has kubeadm 1.35.0, not 1.33.5, so the 1.33.5 release binaries are needed: kubernetes-packages installs them from http://127.0.0.73:9\n",
    );
  });

  test('a machine type Kubernetes publishes no binaries for', () => {
    const r = preflight(`${pacman('1.35.0')}\nuname() { if [ "$1" = -m ]; then echo riscv64; else command uname "$@"; fi; }`);
    expect(r.stdout).toContain(
      "PROBLEM Arch's repository has kubeadm 1.35.0, not 1.33.5, so the 1.33.5 release binaries are needed, and Kubernetes publishes none for machine type riscv64: set kubernetes.version to 1.35.0\n",
    );
    expect(r.stdout).not.toContain('could not be downloaded');
  });
});

describe('installed versions must be the requested one', () => {
  const helpers = helpersOf('kubernetes-packages', 'cp1', 'centos7', cluster({ version: '1.30.6' }));
  const fakes = (kubelet: string) =>
    [
      "kubeadm() { echo 'v1.30.6'; }",
      "kubectl() { printf 'Client Version: v1.30.6\\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\\n'; }",
      `kubelet() { echo 'Kubernetes ${kubelet}'; }`,
    ].join('\n');
  test('all three agree: no problems', () => {
    expect(run(fakes('v1.30.6'), helpers, 'k8sprep_kube_version_problems').stdout).toBe('');
  });
  test('a kubelet of another version is named', () => {
    expect(run(fakes('v1.30.5'), helpers, 'k8sprep_kube_version_problems').stdout).toBe('kubelet (kubelet) reports v1.30.5, not v1.30.6\n');
  });
});

describe('port owners (preflight)', () => {
  const ss = String.raw`ss() {
  cat <<'SS_EOF'
State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
LISTEN 0      4096       127.0.0.1:2379       0.0.0.0:*     users:(("etcd",pid=812,fd=7))
LISTEN 0      4096               *:10250            *:*     users:(("kubelet",pid=1,fd=20),("kubelet",pid=1,fd=21))
LISTEN 0      128          0.0.0.0:6443       0.0.0.0:*     users:(("nginx",pid=5,fd=6))
LISTEN 0      128             [::]:10257         [::]:*
LISTEN 0      128   192.168.77.11:10259      0.0.0.0:*     users:(("kube-scheduler",pid=9,fd=3))
SS_EOF
}`;
  test("this node's own Kubernetes is fine; anything else holding a port is a problem, all reported", () => {
    const helpers = helpersOf('preflight');
    const r = run(ss, helpers, 'k8sprep_tcp_listeners; k8sprep_preflight_ports; printf \'PROBLEM %s\\n\' "${K8SPREP_PROBLEMS[@]}"');
    expect(r.stdout).toBe(
      [
        '2379 etcd',
        '10250 kubelet',
        '6443 nginx',
        '10257 ?',
        '10259 kube-scheduler',
        'PROBLEM port 6443/tcp is already in use by nginx; kubeadm needs it free',
        'PROBLEM port 10257/tcp is already in use; kubeadm needs it free',
        '',
      ].join('\n'),
    );
  });
});

describe('worker image filter', () => {
  const kubeadm = String.raw`kubeadm() {
  printf '%s\n' r.example/k/kube-apiserver:v1.30.6 r.example/k/kube-controller-manager:v1.30.6 r.example/k/kube-scheduler:v1.30.6 \
    r.example/k/kube-proxy:v1.30.6 r.example/k/coredns:v1.11.3 r.example/k/pause:3.9 r.example/k/etcd:3.5.15-0
}`;
  test('workers want pause, kube-proxy and CoreDNS; control planes everything', () => {
    const c = cluster();
    expect(run(kubeadm, helpersOf('images', 'w1', 'centos7', c), 'k8sprep_images_wanted').stdout).toBe(
      'r.example/k/kube-proxy:v1.30.6\nr.example/k/coredns:v1.11.3\nr.example/k/pause:3.9\n',
    );
    expect(run(kubeadm, helpersOf('images', 'cp1', 'centos7', c), 'k8sprep_images_wanted').stdout.split('\n')).toHaveLength(8);
  });
});

describe('image pull retries (worker path, crictl)', () => {
  let state: string;
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'k8sprep-pull-'));
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  const fakes = (failuresBeforeSuccess: number) => `
STATE=${state}
kubeadm() { printf '%s\\n' r.example/k/kube-apiserver:v1.30.6 r.example/k/kube-proxy:v1.30.6 r.example/k/pause:3.9; }
sleep() { echo "$1" >>"$STATE/sleeps"; }
crictl() {
  local name=\${2//\\//_}
  case $1 in
    inspecti) [ -e "$STATE/$name" ] ;;
    pull)
      echo x >>"$STATE/tries-$name"
      if [ "$(wc -l <"$STATE/tries-$name")" -gt ${failuresBeforeSuccess} ]; then touch "$STATE/$name"; return 0; fi
      echo "failed to pull image \\"$2\\": rpc error: code = Unknown desc = 503 Service Unavailable" >&2
      return 1 ;;
  esac
}`;

  test('a flaky registry: retried with 2, 4 s backoff, then done', () => {
    const text = stepText(cluster(), 'w1', 'images');
    const r = run(fakes(2), helpersOf('images', 'w1'), `${functionBody(text, 'k8sprep_step_images_apply')}\necho done`);
    expect([r.status, r.stdout]).toEqual([0, 'done\n']);
    expect(readFileSync(join(state, 'sleeps'), 'utf8')).toBe('2\n4\n');
    expect(r.stderr).toContain('k8sprep: pulling images failed (attempt 1 of 5), retrying in 2s: failed to pull image');
  });

  test('a registry that never answers: 5 attempts, then the missing images are named', () => {
    const text = stepText(cluster(), 'w1', 'images');
    const r = run(fakes(99), helpersOf('images', 'w1'), functionBody(text, 'k8sprep_step_images_apply'));
    expect(r.status).toBe(1);
    expect(readFileSync(join(state, 'sleeps'), 'utf8')).toBe('2\n4\n8\n16\n');
    expect(r.stderr).toContain(
      'k8sprep: could not pull r.example/k/kube-proxy:v1.30.6 r.example/k/pause:3.9 from registry.aliyuncs.com/google_containers after 5 attempts (errors above)',
    );
    expect(r.stderr).toContain('503 Service Unavailable');
  });
});

describe('firewall word lists', () => {
  test('every wanted port must be listed, ranges as written', () => {
    const helpers = helpersOf('firewall');
    const r = run(
      '',
      helpers,
      'k8sprep_has_all "6443/tcp 2379-2380/tcp 10250/tcp" 2379-2380/tcp 10250/tcp && echo yes; k8sprep_has_all "6443/tcp" 643/tcp || echo no',
    );
    expect(r.stdout).toBe('yes\nno\n');
  });
});

describe('pacman installs from the sync database as it is (Arch)', () => {
  const helpers = helpersOf('proxy-tools', 'w1', 'arch');
  // This machine's own package records stay untouched: the install runs unrecorded here.
  const pacman = (stderr: string, status: number) =>
    `k8sprep_recorded_install() { "$@"; }\npacman() {\n  echo "pacman $*" >&2\n  cat >&2 <<'PACMAN_EOF'\n${stderr}PACMAN_EOF\n  return ${status}\n}`;

  test('installed: pacman -S --needed, never a database refresh on its own', () => {
    const r = run(pacman('', 0), helpers, 'k8sprep_pacman_install conntrack-tools && echo ok');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'ok\n', 'pacman -S --needed --noconfirm conntrack-tools\n']);
  });

  test('a database older than its mirror (404 for a package file): what to do, in one line', () => {
    const failure = [
      "error: failed retrieving file 'containerd-2.0.1-1-x86_64.pkg.tar.zst' from geo.mirror.pkgbuild.com : The requested URL returned error: 404",
      'warning: failed to retrieve some files',
      'error: failed to commit transaction (failed to retrieve some files)',
      'Errors occurred, no packages were upgraded.',
      '',
    ].join('\n');
    const r = run(pacman(failure, 1), helpers, 'k8sprep_pacman_install containerd runc; echo not reached');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    // pacman's own lines first, then k8sprep's.
    expect(r.stderr.split('\n').slice(0, 2)).toEqual(['pacman -S --needed --noconfirm containerd runc', failure.split('\n')[0]]);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      "k8sprep: pacman's sync database is older than its mirror (containerd-2.0.1-1-x86_64.pkg.tar.zst is gone from it: 404). Arch supports no partial upgrades, so k8sprep installs from the database as it is and never refreshes it alone: upgrade the host (pacman -Syu, then reboot if it brought a new kernel) and run k8sprep again",
    );
  });

  test("any other failure is pacman's own, with its status", () => {
    const r = run(pacman('error: target not found: containerd\n', 1), helpers, 'k8sprep_pacman_install containerd || echo "status $?"');
    expect([r.stdout, r.stderr]).toEqual(['status 1\n', 'pacman -S --needed --noconfirm containerd\nerror: target not found: containerd\n']);
  });
});

describe('preflight: the clock (chronyc tracking)', () => {
  const helpers = helpersOf('preflight', 'w1');
  const fact = 'k8sprep_fact() { echo "FACT $1 $2"; }';
  const chronyc = (leap: string) =>
    `chronyc() { [ "$1" = tracking ] && printf 'Reference ID    : 00000000 ()\\nStratum         : 0\\nLeap status     : ${leap}\\n'; }`;

  test.each(['Normal', 'Insert second'])('Leap status %s: synchronised, no warning', (leap) => {
    const r = run(`${fact}\n${chronyc(leap)}`, helpers, 'k8sprep_preflight_time_sync');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'FACT time_sync synchronised\n', '']);
  });

  test('Not synchronised: a warning (not a problem) and the fact the summary shows', () => {
    const r = run(
      `${fact}\n${chronyc('Not synchronised')}`,
      helpers,
      'K8SPREP_PROBLEMS=(); k8sprep_preflight_time_sync; echo "problems ${#K8SPREP_PROBLEMS[@]}"',
    );
    expect([r.status, r.stdout]).toEqual([0, 'FACT time_sync unsynchronised\nproblems 0\n']);
    expect(r.stderr).toBe(
      'k8sprep: warning: chronyd has not synchronised the clock (chronyc tracking: Leap status: Not synchronised): certificates, tokens and etcd need a true clock; check that its time sources are reachable (chronyc sources)\n',
    );
  });

  test('no chronyd answering (not installed or not running yet): unknown, no warning', () => {
    const r = run(`${fact}\nchronyc() { echo '506 Cannot talk to daemon'; return 1; }`, helpers, 'k8sprep_preflight_time_sync');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'FACT time_sync unknown\n', '']);
  });
});

describe('preflight: the running kernel and its modules (in a fixture root)', () => {
  const helpers = helpersOf('preflight', 'w1', 'arch', cluster({ os: 'arch' }));
  const KERNEL = '6.12.10-arch1-1';
  let root: FixtureRoot;
  beforeEach(() => {
    root = new FixtureRoot({}, { uname: `if [ "$1" = -r ]; then echo ${KERNEL}; else /bin/uname "$@"; fi` });
  });
  afterEach(() => root.remove());
  const check = () =>
    root.run(
      ['set -euo pipefail', 'k8sprep_fact() { :; }', helpers, 'k8sprep_preflight_kernel', 'printf \'PROBLEM %s\\n\' "${K8SPREP_PROBLEMS[@]}"'].join('\n'),
    );

  test('a kernel without /lib/modules/<release> (upgraded since boot) is a problem: reboot first', () => {
    expect(check().stdout).toBe(
      `PROBLEM kernel ${KERNEL} is running but /lib/modules/${KERNEL} is gone (the kernel package was upgraded since boot): no kernel module can be loaded until the host reboots into the new kernel; reboot it, then run k8sprep again\n`,
    );
  });
  test('with its modules: no problem', () => {
    root.write(`/lib/modules/${KERNEL}/modules.dep`, { content: '' });
    expect(check().stdout).toBe('PROBLEM \n');
  });
});
