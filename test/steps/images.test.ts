/**
 * Images: the table behind `k8sprep images list` and the containerd sandbox image, the
 * command's output (no host contacted), and what the images step pulls per role.
 */
import { join } from 'node:path';
import { imageTableNote, imageVersions, kubeadmImages, pauseImage } from '../../src/cluster/images.js';
import { parseVersion } from '../../src/cluster/versions.js';
import { assertBuilt, EXAMPLES, runCli, tempDir } from '../helpers/cli.js';
import { cluster, functionBody, stepText, VERSIONS } from './fixtures.js';

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
    for (const v of ['1.28.15', '1.30.0', '1.31.14', '1.32.10', '1.33.6', '1.34.2', '1.35.0']) expect([v, imageTableNote(parseVersion(v))]).toEqual([v, undefined]);
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
    expect(kubeadmImages(parseVersion('1.31.2'), 'registry.aliyuncs.com/google_containers')[4]?.image).toBe('registry.aliyuncs.com/google_containers/coredns:v1.11.3');
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
      expect(images.map((i) => i.component)).toEqual(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'coredns', 'pause', 'etcd']);
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

describe('the images step', () => {
  test.each(VERSIONS)('%s, control plane: kubeadm pulls its whole set from the cluster repository', (version) => {
    const text = stepText(cluster({ version }), 'cp1', 'images');
    const flags = `--kubernetes-version ${version} --image-repository registry.aliyuncs.com/google_containers`;
    expect(functionBody(text, 'k8sprep_images_wanted').trim()).toBe(`kubeadm config images list ${flags} 2>/dev/null`);
    expect(functionBody(text, 'k8sprep_pull_images').trim()).toBe(
      `kubeadm config images pull ${flags} --cri-socket unix:///run/containerd/containerd.sock >/dev/null 2>>"$1"`,
    );
  });

  test('worker: only pause, kube-proxy and CoreDNS, pulled with crictl', () => {
    const text = stepText(cluster(), 'w1', 'images');
    expect(functionBody(text, 'k8sprep_images_wanted')).toContain('if (name == "kube-proxy" || name == "coredns" || name == "pause") print');
    expect(functionBody(text, 'k8sprep_pull_images')).toContain('crictl pull "$image" >/dev/null 2>>"$1" || pulled=no');
  });

  test('a custom image repository is used as given', () => {
    const text = stepText(cluster({ imageRepository: 'harbor.example.com:8443/k8s' }), 'cp1', 'images');
    expect(text).toContain('--image-repository harbor.example.com:8443/k8s');
  });

  test('retries with backoff, then names what is still missing', () => {
    const apply = functionBody(stepText(cluster(), 'cp1', 'images'), 'k8sprep_step_images_apply');
    expect(apply).toContain('local attempt=1 delay=2 log missing');
    expect(apply).toContain('[ "$attempt" -lt 5 ] || break');
    expect(apply).toContain('delay=$((delay * 2))');
    expect(apply).toContain('k8sprep_die "could not pull $missing from registry.aliyuncs.com/google_containers after 5 attempts (errors above)"');
  });
});
