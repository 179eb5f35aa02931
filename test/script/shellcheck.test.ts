/**
 * Every rendered script of the example clusters (and of a cluster with unusual but valid
 * values) passes `bash -n` and `shellcheck` (DESIGN §1, §5). shellcheck missing is a
 * failure naming the Debian package, never a skip.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterFile, parseClusterText } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';
import { dryRunBytes } from '../../src/run/dry-run.js';
import { planHost } from '../../src/run/plan.js';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { bashSyntax, requireShellcheck, shellcheck } from '../helpers/bash.js';
import { EXAMPLES, tempDir } from '../helpers/cli.js';

const UNUSUAL = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: unusual}
spec:
  kubernetes: {version: "1.28.0", podSubnet: 172.16.0.0/13, serviceSubnet: 10.255.255.0/30}
  sysctl:
    net.ipv4.tcp_rmem: "4096 87380 6291456"
    net.ipv4.ip_local_port_range: "1024   65000"
    vm.swappiness: null
    kernel.pid_max: 4194304
  hosts:
    - {name: a, address: 10.255.0.254, roles: [control-plane, worker], os: centos7}
    - {name: b, address: local, roles: [worker], os: arch}
`;

function scripts(name: string, cluster: Cluster): { file: string; text: string }[] {
  return cluster.hosts.flatMap((host) =>
    planHost(cluster, host, host.os ?? 'centos7', nodeInitPhases({ prepOnly: true }), {}).scripts.map((s, i) => ({
      file: `${name}/${host.name}/${String(i + 1).padStart(2, '0')}-${s.phase.id}.sh`,
      text: dryRunBytes(s.text, undefined),
    })),
  );
}

let all: { file: string; text: string }[];
beforeAll(async () => {
  all = [];
  for (const f of ['ha-centos7.yaml', 'mixed-bastion.yaml', 'single-arch.yaml']) {
    all.push(...scripts(f.replace('.yaml', ''), await loadClusterFile(join(EXAMPLES, f))));
  }
  all.push(...scripts('unusual', parseClusterText(UNUSUAL, 'unusual.yaml')));
});

test('every host of every example has its scripts, a prep script among them (5 + 5 + 1 + 2 hosts)', () => {
  const hosts = new Set(all.map((s) => s.file.split('/').slice(0, 2).join('/')));
  expect(hosts.size).toBe(13);
  expect(all.filter((s) => s.file.endsWith('-prep.sh'))).toHaveLength(13);
});

test('bash -n accepts every script', () => {
  for (const s of all) expect([s.file, bashSyntax(s.text)]).toEqual([s.file, { status: 0, stdout: '', stderr: '' }]);
});

test('shellcheck finds nothing in any script', () => {
  requireShellcheck();
  const dir = tempDir('k8sprep-shellcheck-');
  try {
    const files = all.map((s, i) => {
      const path = join(dir.path, `${i}-${s.file.replace(/\//g, '_')}`);
      writeFileSync(path, s.text);
      return path;
    });
    const r = shellcheck(files);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  } finally {
    dir.remove();
  }
});

test('shellcheck does catch problems (the check above can fail)', () => {
  requireShellcheck();
  const dir = tempDir('k8sprep-shellcheck-');
  try {
    const path = join(dir.path, 'bad.sh');
    writeFileSync(path, '#!/bin/bash\nx=$1\nrm -rf $x/*\n');
    const r = shellcheck([path]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('SC2086');
  } finally {
    dir.remove();
  }
});

test('without shellcheck the check fails naming the Debian package', () => {
  expect(() => requireShellcheck({ PATH: '/nonexistent' })).toThrow('install the Debian package `shellcheck`');
});
