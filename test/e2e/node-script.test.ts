/**
 * `node script` end to end (issue 10 item 7): a cluster made by node init on cp1; then a worker
 * of the cluster file (w1) and a machine the file does not know (w2, the generic worker
 * template) join by running what node script printed — without SSH, inside the test host, as
 * cloud-init would: write_files written with their modes, then runcmd — ending as Ready nodes of
 * the shared cluster, with the local CA's hash and the stored token. w2's node name and IPv4 come
 * from the machine itself. Running the runner again changes nothing.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { TestHost } from '../hosts/index.js';
import { E2E_TIMEOUT_MS, failures, kubeadmRuns, opensslCaHash, useBootstrapFleet } from '../helpers/bootstrap-e2e.js';

const VERSION = '1.30.6';
const RUN_TIMEOUT_MS = 600_000;

interface UserData {
  write_files: { path: string; owner: string; permissions: string; content: string }[];
  runcmd: (string | string[])[];
}

/** What cloud-init does with the user-data, in its order: every write_files entry, then each runcmd entry. */
async function runAsCloudInit(host: TestHost, userData: UserData): Promise<{ code: number; stdout: string; stderr: string }[]> {
  for (const f of userData.write_files) {
    const write = await host.exec(
      ['sh', '-c', 'mkdir -p "$1" && cat >"$2" && chmod "$3" "$2" && chown "$4" "$2"', 'sh', dirname(f.path), f.path, f.permissions, f.owner],
      { input: f.content },
    );
    expect([f.path, write.code, write.stderr]).toEqual([f.path, 0, '']);
  }
  const results = [];
  for (const cmd of userData.runcmd) {
    // A string entry is a shell command line; a list, an argv.
    results.push(await host.exec(typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd, { timeoutMs: RUN_TIMEOUT_MS }));
  }
  return results;
}

/** The node's registration in the kubeadm config the join wrote on the host. */
async function joinRegistration(host: TestHost): Promise<{ name: string; nodeIp: string }> {
  const config = parseYaml(await host.readFile('/etc/kubernetes/k8sprep/kubeadm-join.yaml')) as {
    nodeRegistration: { name: string; kubeletExtraArgs: Record<string, string> };
  };
  return { name: config.nodeRegistration.name, nodeIp: config.nodeRegistration.kubeletExtraArgs['node-ip'] ?? '' };
}

describe('node script: workers join by running their own scripts', () => {
  const rig = useBootstrapFleet([
    { name: 'cp1', os: 'centos7' },
    { name: 'w1', os: 'arch', archRepoKubeVersion: VERSION },
    { name: 'w2', os: 'centos7' },
  ]);
  let tokenId = '';
  let localHash = '';

  beforeAll(async () => {
    rig.writeCluster({ version: VERSION, only: ['cp1'] });
    const r = await rig.run(['node', 'init']);
    expect([r.code, failures(r.summary)]).toEqual([0, []]);
    tokenId = readFileSync(join(rig.stateDir, 'token'), 'utf8').trim().slice(0, 6);
    localHash = opensslCaHash(join(rig.stateDir, 'pki', 'ca.crt'));
  }, E2E_TIMEOUT_MS);

  test(
    'w1, added to the cluster file: its cloud-init user-data, run as cloud-init would, makes it a Ready worker',
    async () => {
      rig.writeCluster({ version: VERSION, only: ['cp1', 'w1'] });
      const out = await rig.runRaw(['node', 'script', '--hosts', 'w1', '--format', 'cloud-init', '--show-secrets']);
      expect([out.code, out.stderr]).toEqual([0, expect.stringContaining(`holds the bootstrap token ${tokenId}.*`)]);
      expect(out.stdout.split('\n')[0]).toBe('#cloud-config');
      const userData = parseYaml(out.stdout) as UserData;
      const w1 = rig.fleet.host('w1');
      const before = rig.fleet.cluster.log().length;

      const results = await runAsCloudInit(w1, userData);
      expect(results.map((r) => r.code)).toEqual([0]);
      expect(results[0]?.stdout).toContain('all 3 scripts succeeded');
      for (const f of userData.write_files) expect([f.path, (await w1.stat(f.path)).mode]).toEqual([f.path, 0o700]);

      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => [n.name, n.ready, n.roles]).sort()).toEqual([
        ['cp1', 'True', ['control-plane']],
        ['w1', 'True', []],
      ]);
      const joins = rig.fleet.cluster
        .log()
        .slice(before)
        .filter((e) => e.event === 'end');
      expect(joins.map((e) => [e.host, e.op, e.result, e.checks?.caCertHashes, e.checks?.token])).toEqual([['w1', 'join', 'ok', [localHash], tokenId]]);
      expect(await joinRegistration(w1)).toEqual({ name: 'w1', nodeIp: w1.address });
      // The log: every script's output, readable by root only.
      const log = await w1.readFile('/var/log/k8sprep-node-script.log');
      expect((await w1.stat('/var/log/k8sprep-node-script.log')).mode).toBe(0o600);
      expect(log).toMatch(/01-preflight\.sh begins[\s\S]*02-prep\.sh begins[\s\S]*03-join-worker\.sh begins[\s\S]*all 3 scripts succeeded/);
      expect(log).toContain('::k8sprep:: kubeadm-join changed');
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'running the runner again on w1 changes nothing: every step unchanged, no kubeadm run',
    async () => {
      const w1 = rig.fleet.host('w1');
      const before = rig.fleet.cluster.log().length;
      const again = await w1.exec(['/var/lib/k8sprep/node-script/run.sh'], { timeoutMs: RUN_TIMEOUT_MS });
      expect([again.code, again.stderr]).toEqual([0, '']);
      const marks = again.stdout.split('\n').filter((l) => l.startsWith('::k8sprep:: ') && !l.endsWith(' begin'));
      expect(marks.length).toBeGreaterThan(10);
      expect(marks.filter((l) => !l.endsWith(' unchanged'))).toEqual([]);
      expect(rig.fleet.cluster.log().length).toBe(before);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'w2, a machine the cluster file does not name: the generic worker template (bash) joins it under its own hostname and address',
    async () => {
      const out = await rig.runRaw(['node', 'script', '--role', 'worker', '--os', 'centos7', '--format', 'bash', '--show-secrets']);
      expect(out.code).toBe(0);
      const w2 = rig.fleet.host('w2');
      // Nothing of w2 is in the template: what it registers with, it reads itself.
      expect(out.stdout).not.toContain(w2.address);
      const before = rig.fleet.cluster.log().length;
      const r = await w2.exec(['sh', '-c', 'cat >/root/join-worker.sh && bash /root/join-worker.sh'], { input: out.stdout, timeoutMs: RUN_TIMEOUT_MS });
      expect([r.code, r.stdout.trimEnd().split('\n').at(-1)]).toEqual([0, expect.stringContaining('all 3 scripts succeeded')]);

      const state = await rig.fleet.cluster.state();
      expect(state.nodes.map((n) => [n.name, n.ready]).sort()).toEqual([
        ['cp1', 'True'],
        ['w1', 'True'],
        ['w2', 'True'],
      ]);
      expect(state.nodes.find((n) => n.name === 'w2')?.host).toBe('w2');
      expect(await joinRegistration(w2)).toEqual({ name: 'w2', nodeIp: w2.address });
      expect(kubeadmRuns(rig.fleet.cluster.log().slice(before))).toEqual([['w2', 'join', 'ok']]);
      expect((await w2.readFile('/etc/hostname')).trim()).toBe('w2');
    },
    E2E_TIMEOUT_MS,
  );
});
