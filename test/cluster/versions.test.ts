/** Supported Kubernetes versions per OS (DESIGN §4 "CentOS 7 limits", §6). */
import { parseClusterText } from '../../src/cluster/load.js';
import { needsSystemVerificationIgnored, parseVersion, versionProblem } from '../../src/cluster/versions.js';
import { InputError } from '../../src/errors.js';

const v = parseVersion;

test('parseVersion', () => {
  expect(v('1.30.6')).toEqual({ full: '1.30.6', major: 1, minor: 30, patch: 6, minorString: '1.30' });
});

test('1.27 and older are refused on every OS', () => {
  for (const os of [undefined, 'centos7', 'arch'] as const) {
    expect(versionProblem(v('1.27.0'), os)).toBe('Kubernetes 1.27.0 is not supported (k8sprep supports 1.28 and newer)');
  }
  expect(versionProblem(v('2.0.0'), 'arch')).toMatch(/is not supported/);
});

test('1.28 to 1.34 run on CentOS 7 and Arch', () => {
  for (const full of ['1.28.0', '1.30.6', '1.32.4', '1.34.2']) {
    expect(versionProblem(v(full), 'centos7')).toBeUndefined();
    expect(versionProblem(v(full), 'arch')).toBeUndefined();
  }
});

test('CentOS 7 with 1.35 is refused for cgroup v1; Arch with 1.35 is fine', () => {
  expect(versionProblem(v('1.35.0'), 'centos7')).toBe(
    "Kubernetes 1.35.0 cannot run on CentOS 7: from 1.35 the kubelet refuses cgroup v1, and CentOS 7's 3.10 kernel has only cgroup v1 (use 1.34 or older, or another OS)",
  );
  expect(versionProblem(v('1.35.0'), 'arch')).toBeUndefined();
  expect(versionProblem(v('1.35.0'), undefined)).toBeUndefined();
});

test('a minor this release has no image list for is refused', () => {
  expect(versionProblem(v('1.36.0'), 'arch')).toMatch(/^Kubernetes 1\.36\.0 is newer than this k8sprep release knows \(up to 1\.35\)/);
});

test('kubeadm preflight SystemVerification is skipped only on CentOS 7 with 1.32-1.34', () => {
  expect(needsSystemVerificationIgnored(v('1.31.9'), 'centos7')).toBe(false);
  expect(needsSystemVerificationIgnored(v('1.32.0'), 'centos7')).toBe(true);
  expect(needsSystemVerificationIgnored(v('1.34.2'), 'centos7')).toBe(true);
  expect(needsSystemVerificationIgnored(v('1.34.2'), 'arch')).toBe(false);
});

describe('in a cluster file', () => {
  const file = (version: string) => `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: v}
spec:
  kubernetes: {version: "${version}"}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane], os: arch}
    - {name: b, address: 10.1.0.2, roles: [worker], os: centos7}
    - {name: c, address: 10.1.0.3, roles: [worker]}
`;
  const problems = (version: string): string[] => {
    try {
      parseClusterText(file(version), 'v.yaml');
      return [];
    } catch (err) {
      if (err instanceof InputError) return err.message.split('\n');
      throw err;
    }
  };

  test('an unsupported version is one problem at the version, not one per host', () => {
    expect(problems('1.27.0')).toEqual(['v.yaml:5:25: spec.kubernetes.version: Kubernetes 1.27.0 is not supported (k8sprep supports 1.28 and newer)']);
  });

  test('1.35 is refused only at the CentOS 7 host; an undeclared OS is checked once detected', () => {
    expect(problems('1.35.0')).toEqual([expect.stringMatching(/^v\.yaml:8:57: spec\.hosts\[1\]\.os: Kubernetes 1\.35\.0 cannot run on CentOS 7: /)]);
    expect(problems('1.34.2')).toEqual([]);
  });

  test('a version that is not x.y.z', () => {
    expect(problems('1.30')).toEqual(['v.yaml:5:25: spec.kubernetes.version: "1.30" is not a version like 1.30.6']);
  });
});
