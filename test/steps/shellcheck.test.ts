/**
 * Every script the preparation phases render passes `bash -n` and shellcheck: the three
 * example clusters, and the version matrix on both OSes with each option that changes what
 * is rendered. shellcheck missing is a failure naming the Debian package, never a skip.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadClusterFile } from '../../src/cluster/load.js';
import type { Cluster, OsId } from '../../src/cluster/types.js';
import { parseVersion } from '../../src/cluster/versions.js';
import { dryRunBytes } from '../../src/run/dry-run.js';
import { planHost } from '../../src/run/plan.js';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { bashSyntax, requireShellcheck } from '../helpers/bash.js';
import { EXAMPLES, tempDir } from '../helpers/cli.js';
import { cluster, type ClusterOptions, OSES, VERSIONS } from './fixtures.js';

interface Script {
  name: string;
  text: string;
}

/** `hosts`: the names to render (default all); the matrix takes one host per role. */
function scriptsOf(name: string, c: Cluster, os?: OsId, hosts?: readonly string[]): Script[] {
  return c.hosts
    .filter((h) => !hosts || hosts.includes(h.name))
    .flatMap((host) =>
      planHost(c, host, os ?? host.os ?? 'centos7', nodeInitPhases({ prepOnly: true }), {}).scripts.map((s) => ({
        name: `${name}-${host.name}-${s.phase.id}.sh`,
        text: dryRunBytes(s.text, undefined),
      })),
    );
}

const OPTIONS: [string, ClusterOptions][] = [
  ['default', {}],
  ['upstream-disable-flannel-iptables', { packages: 'upstream', firewall: 'disable', cni: 'flannel', proxyMode: 'iptables' }],
  [
    'mirrors-none-nftables',
    {
      cni: 'none',
      proxyMode: 'nftables',
      registries: { 'docker.io': ['https://docker.m.daocloud.io'], 'quay.io': ['https://a.example', 'https://b.example:5000/p'] },
    },
  ],
];

let all: Script[];
beforeAll(async () => {
  all = [];
  for (const f of ['ha-centos7', 'mixed-bastion', 'single-arch']) all.push(...scriptsOf(f, await loadClusterFile(join(EXAMPLES, `${f}.yaml`))));
  for (const version of VERSIONS) {
    for (const os of OSES) {
      for (const [label, options] of OPTIONS) {
        // Validation refuses nftables below 1.31 and on CentOS 7's kernel.
        if (options.proxyMode === 'nftables' && (os === 'centos7' || parseVersion(version).minor < 31)) continue;
        all.push(...scriptsOf(`${version}-${os}-${label}`, cluster({ ...options, version, os }), os, ['cp1', 'w1']));
      }
    }
  }
});

test('two scripts (preflight, prep) per host of every cluster', () => {
  // examples: 5 + 5 + 1 hosts; matrix: 4 versions x 2 OSes x 2 option sets + 2 Arch versions with nftables, x 2 roles
  expect(all).toHaveLength((11 + (4 * 2 * 2 + 2) * 2) * 2);
  expect(all.filter((s) => s.name.endsWith('-preflight.sh'))).toHaveLength(all.length / 2);
});

test('bash -n accepts every script', () => {
  for (const s of all) expect([s.name, bashSyntax(s.text)]).toEqual([s.name, { status: 0, stdout: '', stderr: '' }]);
});

/** shellcheck over `files` in one process per core (it is the slow part of this suite). */
async function shellcheckParallel(files: readonly string[]): Promise<{ status: number | null; stdout: string }[]> {
  const chunks = Array.from({ length: Math.max(1, availableParallelism()) }, (_, i) => files.filter((_, j) => j % Math.max(1, availableParallelism()) === i));
  return Promise.all(
    chunks
      .filter((c) => c.length > 0)
      .map(
        (chunk) =>
          new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
            const child = spawn('shellcheck', ['--shell=bash', '--format=gcc', ...chunk], { stdio: ['ignore', 'pipe', 'inherit'] });
            let stdout = '';
            child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
            child.on('error', reject);
            child.on('close', (status) => resolve({ status, stdout }));
          }),
      ),
  );
}

test('shellcheck finds nothing in any script', async () => {
  requireShellcheck();
  const dir = tempDir('k8sprep-steps-shellcheck-');
  try {
    const files = all.map((s) => {
      const file = join(dir.path, s.name);
      writeFileSync(file, s.text);
      return file;
    });
    for (const r of await shellcheckParallel(files)) expect(r).toEqual({ status: 0, stdout: '' });
  } finally {
    dir.remove();
  }
});
