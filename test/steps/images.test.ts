/**
 * Images: the table behind `k8sprep images list` and the containerd sandbox image, the
 * command's output (no host contacted), and what the images step pulls per role.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageTableNote, imageVersions, kubeadmImages, pauseImage } from '../../src/cluster/images.js';
import { parseVersion } from '../../src/cluster/versions.js';
import { PREAMBLE } from '../../src/script/preamble.js';
import { runBash } from '../helpers/bash.js';
import { assertBuilt, EXAMPLES, runCli, tempDir } from '../helpers/cli.js';
import { cluster, stepText, VERSIONS } from './fixtures.js';

describe('image versions per release (kubeadm constants.go at the release tags)', () => {
  test.each([
    ['1.28.0', 'v1.10.1', '3.5.9-0', '3.9'],
    ['1.28.15', 'v1.10.1', '3.5.15-0', '3.9'],
    ['1.29.2', 'v1.11.1', '3.5.10-0', '3.9'],
    ['1.29.15', 'v1.11.1', '3.5.16-0', '3.9'],
    ['1.30.4', 'v1.11.1', '3.5.12-0', '3.9'],
    ['1.30.6', 'v1.11.3', '3.5.15-0', '3.9'],
    ['1.31.0', 'v1.11.1', '3.5.15-0', '3.10'],
    ['1.31.2', 'v1.11.3', '3.5.15-0', '3.10'],
    ['1.31.14', 'v1.11.3', '3.5.24-0', '3.10'],
    ['1.32.4', 'v1.11.3', '3.5.16-0', '3.10'],
    ['1.32.10', 'v1.11.3', '3.5.24-0', '3.10'],
    ['1.33.0', 'v1.12.0', '3.5.21-0', '3.10'],
    ['1.33.6', 'v1.12.0', '3.5.24-0', '3.10'],
    ['1.34.0', 'v1.12.1', '3.6.4-0', '3.10.1'],
    ['1.34.2', 'v1.12.1', '3.6.5-0', '3.10.1'],
    ['1.35.0', 'v1.13.1', '3.6.6-0', '3.10.1'],
    // A patch newer than the table keeps the minor's last row.
    ['1.34.99', 'v1.12.1', '3.6.5-0', '3.10.1'],
  ])('%s: CoreDNS %s, etcd %s, pause %s', (version, coredns, etcd, pause) => {
    expect(imageVersions(parseVersion(version))).toEqual({ coredns, etcd, pause });
  });

  test('pause: 3.9 up to 1.30, 3.10 for 1.31-1.33, 3.10.1 from 1.34', () => {
    const pauseOf = (v: string) => pauseImage(parseVersion(v), 'r.example/k');
    expect([28, 29, 30].map((m) => pauseOf(`1.${m}.0`))).toEqual(Array(3).fill('r.example/k/pause:3.9'));
    expect([31, 32, 33].map((m) => pauseOf(`1.${m}.0`))).toEqual(Array(3).fill('r.example/k/pause:3.10'));
    expect([34, 35].map((m) => pauseOf(`1.${m}.0`))).toEqual(Array(2).fill('r.example/k/pause:3.10.1'));
  });

  test('a patch newer than the table gets a note naming the last known patch; known patches none', () => {
    expect(imageTableNote(parseVersion('1.34.3'))).toBe(
      "k8sprep's image table knows Kubernetes 1.34 up to 1.34.2: the CoreDNS, etcd and pause tags shown for 1.34.3 are 1.34.2's and may be out of date. " +
        'Hosts pull what the installed kubeadm itself lists (kubeadm config images list --kubernetes-version 1.34.3).',
    );
    expect(imageTableNote(parseVersion('1.28.99'))).toMatch(/^k8sprep's image table knows Kubernetes 1.28 up to 1.28.15:/);
    for (const v of ['1.28.15', '1.30.0', '1.31.14', '1.32.10', '1.33.6', '1.34.2', '1.35.0'])
      expect([v, imageTableNote(parseVersion(v))]).toEqual([v, undefined]);
  });

  test('unknown minors are an error, not a guess', () => {
    expect(() => imageVersions(parseVersion('1.27.3'))).toThrow('no image versions known for Kubernetes 1.27.3');
    expect(() => imageVersions(parseVersion('1.36.0'))).toThrow('no image versions known for Kubernetes 1.36.0');
  });

  test("kubeadm's order; CoreDNS one level deeper only on registry.k8s.io", () => {
    expect(kubeadmImages(parseVersion('1.31.2'), 'registry.k8s.io').map((i) => i.image)).toEqual([
      'registry.k8s.io/kube-apiserver:v1.31.2',
      'registry.k8s.io/kube-controller-manager:v1.31.2',
      'registry.k8s.io/kube-scheduler:v1.31.2',
      'registry.k8s.io/kube-proxy:v1.31.2',
      'registry.k8s.io/coredns/coredns:v1.11.3',
      'registry.k8s.io/pause:3.10',
      'registry.k8s.io/etcd:3.5.15-0',
    ]);
    expect(kubeadmImages(parseVersion('1.31.2'), 'registry.aliyuncs.com/google_containers')[4]?.image).toBe(
      'registry.aliyuncs.com/google_containers/coredns:v1.11.3',
    );
  });
});

describe('k8sprep images list', () => {
  beforeAll(() => assertBuilt());

  test('the example cluster: one image per line, from its repository, exit 0', async () => {
    const dir = tempDir();
    try {
      const r = await runCli(['images', 'list', '-c', join(EXAMPLES, 'ha-centos7.yaml')], { cwd: dir.path });
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toBe(
        [
          'registry.aliyuncs.com/google_containers/kube-apiserver:v1.30.6',
          'registry.aliyuncs.com/google_containers/kube-controller-manager:v1.30.6',
          'registry.aliyuncs.com/google_containers/kube-scheduler:v1.30.6',
          'registry.aliyuncs.com/google_containers/kube-proxy:v1.30.6',
          'registry.aliyuncs.com/google_containers/coredns:v1.11.3',
          'registry.aliyuncs.com/google_containers/pause:3.9',
          'registry.aliyuncs.com/google_containers/etcd:3.5.15-0',
          // The load balancer's (kube-vip in this example) and the CNI's, for Kubernetes 1.30: calico v3.29.
          'ghcr.io/kube-vip/kube-vip:v1.0.1',
          'docker.io/calico/cni:v3.29.4',
          'docker.io/calico/node:v3.29.4',
          'docker.io/calico/kube-controllers:v3.29.4',
          '',
        ].join('\n'),
      );
    } finally {
      dir.remove();
    }
  });

  test('--version (no cluster file) and --json', async () => {
    const dir = tempDir();
    try {
      const r = await runCli(['images', 'list', '--version', '1.34.2', '--json'], { cwd: dir.path });
      expect(r.code).toBe(0);
      const images = JSON.parse(r.stdout) as { component: string; image: string }[];
      // No cluster file: no load balancer; the default CNI (calico) for 1.34.
      expect(images.map((i) => i.component)).toEqual([
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'kube-proxy',
        'coredns',
        'pause',
        'etcd',
        'calico/cni',
        'calico/node',
        'calico/kube-controllers',
      ]);
      expect(images[6]?.image).toBe('registry.aliyuncs.com/google_containers/etcd:3.6.5-0');
    } finally {
      dir.remove();
    }
  });

  test('a patch newer than the table: the last known tags on stdout, a note on stderr saying so', async () => {
    const dir = tempDir();
    try {
      const r = await runCli(['images', 'list', '--version', '1.34.7'], { cwd: dir.path });
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').filter((l) => l.includes('etcd'))).toEqual(['registry.aliyuncs.com/google_containers/etcd:3.6.5-0']);
      expect(r.stderr).toBe(`k8sprep: note: ${imageTableNote(parseVersion('1.34.7')) ?? ''}\n`);
      expect(r.stderr).toContain('Hosts pull what the installed kubeadm itself lists');
    } finally {
      dir.remove();
    }
  });

  test('a bad cluster file is input (exit 2)', async () => {
    const dir = tempDir();
    try {
      const r = await runCli(['images', 'list', '-c', 'missing.yaml'], { cwd: dir.path });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    } finally {
      dir.remove();
    }
  });
});

describe('the images step (run in bash with kubeadm and crictl faked, state in a temp dir)', () => {
  let state: string;
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'k8sprep-images-'));
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  /**
   * kubeadm lists kubeadm's images for the --kubernetes-version and --image-repository it is
   * given and pulls them all; crictl knows what was pulled (inspecti) and pulls one. Calls go
   * to $STATE/calls, pulled images to $STATE/pulled.
   */
  const fakes = () => String.raw`STATE=${state}
kubeadm() {
  echo "kubeadm $*" >>"$STATE/calls"
  local version='' repo='' i
  for ((i = 1; i <= $#; i++)); do
    case ${'$'}{!i} in
      --kubernetes-version) i=$((i + 1)); version=${'$'}{!i} ;;
      --image-repository) i=$((i + 1)); repo=${'$'}{!i} ;;
    esac
  done
  local images="$repo/kube-apiserver:v$version $repo/kube-controller-manager:v$version $repo/kube-scheduler:v$version $repo/kube-proxy:v$version $repo/coredns:v1.11.3 $repo/pause:3.9 $repo/etcd:3.5.15-0"
  case "$2 $3" in
    "images list") printf '%s\n' $images ;;
    "images pull") printf '%s\n' $images >>"$STATE/pulled" ;;
  esac
}
crictl() {
  echo "crictl $*" >>"$STATE/calls"
  case $1 in
    inspecti) grep -qxF "$2" "$STATE/pulled" 2>/dev/null ;;
    pull) echo "$2" >>"$STATE/pulled" ;;
  esac
}`;
  const run = (c: ReturnType<typeof cluster>, host: string) =>
    runBash([PREAMBLE, fakes(), stepText(c, host, 'images'), 'k8sprep_run_step images k8sprep_step_images'].join('\n'), ['test-run']);
  const calls = () => readFileSync(join(state, 'calls'), 'utf8').split('\n').filter(Boolean);
  const pulled = () => readFileSync(join(state, 'pulled'), 'utf8').split('\n').filter(Boolean);

  test.each(VERSIONS)(
    '%s, control plane: kubeadm pulls its whole set from the cluster repository, for the cluster version; then nothing to pull',
    (version) => {
      const c = cluster({ version });
      const r = run(c, 'cp1');
      expect([r.status, r.stdout]).toEqual([0, '::k8sprep:: images begin\n::k8sprep:: images changed\n']);
      const repo = 'registry.aliyuncs.com/google_containers';
      expect(calls().filter((l) => l.startsWith('kubeadm config images pull'))).toEqual([
        `kubeadm config images pull --kubernetes-version ${version} --image-repository ${repo} --cri-socket unix:///run/containerd/containerd.sock`,
      ]);
      expect(pulled()).toHaveLength(7);
      expect(run(c, 'cp1').stdout).toBe('::k8sprep:: images begin\n::k8sprep:: images unchanged\n');
    },
  );

  test('worker: only pause, kube-proxy and CoreDNS, pulled one by one with crictl', () => {
    const r = run(cluster(), 'w1');
    expect(r.status).toBe(0);
    const repo = 'registry.aliyuncs.com/google_containers';
    expect(pulled()).toEqual([`${repo}/kube-proxy:v1.30.6`, `${repo}/coredns:v1.11.3`, `${repo}/pause:3.9`]);
    expect(calls().filter((l) => l.startsWith('kubeadm config images pull'))).toEqual([]);
  });

  test('a custom image repository is used as given', () => {
    expect(run(cluster({ imageRepository: 'harbor.example.com:8443/k8s' }), 'cp1').status).toBe(0);
    expect(pulled()).toContain('harbor.example.com:8443/k8s/pause:3.9');
    expect(pulled()).toHaveLength(7);
    expect(pulled().every((i) => i.startsWith('harbor.example.com:8443/k8s/'))).toBe(true);
  });
});
