/**
 * What `node script` wraps (src/script/boot-script.ts, src/actions/node-script.ts), short of a
 * test host: every script a new worker runs — for a worker of the file and for the generic
 * template, endpoint given as an IP or a name — passes bash -n and shellcheck, and so do the
 * runner and the bash wrapping; the runner stops at the first script that fails and runs them
 * all again once it is fixed (run as root in a private mount namespace with tmpfs over /var/lib
 * and /var/log, so nothing on this machine changes); the template's node name is the machine's
 * hostname, lowercased, and a hostname that cannot be a node name stops the script.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { planNodeScript, templateWorker } from '../../src/actions/node-script.js';
import type { Host } from '../../src/cluster/types.js';
import { bashBootScript, BOOT_DIR, BOOT_LOG, BOOT_RUNNER, bootFiles, cloudInitUserData } from '../../src/script/boot-script.js';
import { redactSecrets } from '../../src/script/secrets.js';
import { nodeNameHelper } from '../../src/steps/bootstrap/host-values.js';
import { bashSyntax, requireShellcheck, shellcheck } from '../helpers/bash.js';
import { type Prepared, prepareCluster } from '../helpers/bootstrap.js';

const clusterYaml = (endpoint: string) => `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: boot}
spec:
  kubernetes: {version: "1.32.4"}
  controlPlaneEndpoint: {host: ${endpoint}, port: 6443, loadBalancer: external}
  hosts:
    - {name: cp1, address: 172.20.0.11, roles: [control-plane], os: centos7}
    - {name: w1, address: 172.20.0.31, roles: [worker], os: arch}
`;

const prepared: Prepared[] = [];
beforeAll(async () => {
  prepared.push(await prepareCluster(clusterYaml('172.20.0.100')), await prepareCluster(clusterYaml('api.boot.internal')));
}, 120_000);
afterAll(() => prepared.forEach((p) => p.remove()));

function scriptsFor(p: Prepared, host: Host, os: 'centos7' | 'arch') {
  return planNodeScript(p.cluster, host, os, p.prepared.state).scripts.map((s) => ({ phase: s.phase.id, text: redactSecrets(s.text) }));
}

test('every script, the runner and the bash wrapping pass bash -n and shellcheck; cloud-init carries the same files', () => {
  requireShellcheck();
  const dir = mkdtempSync(join(tmpdir(), 'k8sprep-boot-sc-'));
  try {
    const files: string[] = [];
    for (const [i, p] of prepared.entries()) {
      const w1 = p.cluster.hosts.find((h) => h.name === 'w1')!;
      for (const [label, host, os] of [
        ['w1', w1, 'arch'],
        ['template-centos7', templateWorker(p.cluster, 'centos7'), 'centos7'],
        ['template-arch', templateWorker(p.cluster, 'arch'), 'arch'],
      ] as const) {
        const scripts = scriptsFor(p, host, os);
        expect([label, scripts.map((s) => s.phase)]).toEqual([label, ['preflight', 'prep', 'join-worker']]);
        const boot = bootFiles(scripts);
        const bash = bashBootScript(boot, ['header']);
        expect(parse(cloudInitUserData(boot, ['header']))).toEqual({
          write_files: boot.map((f) => ({ path: f.path, owner: 'root:root', permissions: '0700', content: f.content })),
          runcmd: [BOOT_RUNNER],
        });
        for (const [name, text] of [...boot.map((f) => [f.path.split('/').at(-1)!, f.content] as const), ['wrapper.sh', bash] as const]) {
          expect([label, name, bashSyntax(text).stderr]).toEqual([label, name, '']);
          const file = join(dir, `${i}-${label}-${name}`);
          writeFileSync(file, text);
          files.push(file);
        }
      }
    }
    expect(files).toHaveLength(2 * 3 * 5);
    expect(shellcheck(files).stdout).toBe('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `script` as root in a private mount namespace where /var/lib and /var/log are fresh tmpfs. */
function inScratchRoot(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'bash', '-c', `mount -t tmpfs k8sprep-test /var/lib && mount -t tmpfs k8sprep-test /var/log && ${script}`],
    { encoding: 'utf8' },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the runner stops at the first script that fails, logs to a root-only file, and finishes once the cause is fixed', () => {
  const marker = (n: string) => `#!/bin/bash\necho "ran ${n} with run id $1"\ntouch /var/lib/k8sprep/${n}.done\n`;
  const boot = bootFiles([
    { phase: 'one', text: marker('one') },
    { phase: 'two', text: '#!/bin/bash\n[ -e /var/lib/k8sprep/fixed ] || { echo "two: not yet" >&2; exit 3; }\n' },
    { phase: 'three', text: marker('three') },
  ]);
  const wrapper = bashBootScript(boot, ['test']);
  const script = [
    "cat >/tmp/k8sprep-boot-wrapper.sh <<'WRAPPER_EOF'",
    wrapper,
    'WRAPPER_EOF',
    'bash /tmp/k8sprep-boot-wrapper.sh; echo "first=$?"',
    'ls /var/lib/k8sprep; stat -c "log %a" ' + BOOT_LOG + '; stat -c "dir %a" ' + BOOT_DIR,
    'touch /var/lib/k8sprep/fixed',
    `${BOOT_RUNNER} >/dev/null; echo "second=$?"`,
    'ls /var/lib/k8sprep',
    `cat ${BOOT_LOG}`,
  ].join('\n');
  const r = inScratchRoot(script);
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines).toContain('first=1');
  expect(lines).toContain('second=0');
  // After the first run: one ran, three did not.
  const firstLs = lines.slice(
    lines.indexOf('first=1') + 1,
    lines.findIndex((l) => l.startsWith('log ')),
  );
  expect(firstLs).toEqual(['node-script', 'one.done']);
  expect(lines).toContain('log 600');
  expect(lines).toContain('dir 700');
  const secondLs = lines.slice(lines.indexOf('second=0') + 1, lines.indexOf('second=0') + 5);
  expect(secondLs).toEqual(['fixed', 'node-script', 'one.done', 'three.done']);
  const log = r.stdout.slice(r.stdout.indexOf('second=0'));
  expect(log).toMatch(/02-two\.sh failed: the scripts after it did not run; fix the cause and run \/var\/lib\/k8sprep\/node-script\/run\.sh again/);
  expect(log).toContain('two: not yet');
  expect(log).toMatch(/ran three with run id node-script-\d{8}T\d{6}Z/);
  expect(log).toContain('all 3 scripts succeeded');
});

describe("the template's node name: the machine's hostname", () => {
  const helper = () => nodeNameHelper(templateWorker(prepared[0]!.cluster, 'centos7'));
  const withHostname = (hostname: string) => {
    const script = `set -euo pipefail\nk8sprep_die() { echo "k8sprep: $*" >&2; exit 1; }\n${helper()}\necho "node=$K8SPREP_NODE"`;
    return spawnSync('unshare', ['--uts', 'bash', '-c', 'printf %s "$1" >/proc/sys/kernel/hostname && bash -c "$2"', 'sh', hostname, script], {
      encoding: 'utf8',
    });
  };

  test('lowercased, as the kubelet registers it', () => {
    const r = withHostname('Worker-7.Example.internal');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'node=worker-7.example.internal\n', '']);
  });

  test.each([
    ['localhost', 'k8sprep: the hostname is "localhost": give this machine its own hostname'],
    ['localhost.localdomain', 'k8sprep: the hostname is "localhost.localdomain": give this machine its own hostname'],
    ['web_1', 'k8sprep: the hostname "web_1" cannot be a node name'],
    ['-edge', 'k8sprep: the hostname "-edge" cannot be a node name'],
  ])('%s stops the script before anything runs', (hostname, message) => {
    const r = withHostname(hostname);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr.startsWith(message)).toBe(true);
  });

  test('a host of the cluster file reads nothing: its name is in the script', () => {
    expect(nodeNameHelper(prepared[0]!.cluster.hosts[1]!)).toBe('');
  });
});
