/**
 * `node init --dry-run` of the example clusters (issue 3): contacts nothing (every host
 * declares its OS; the CLI runs with no network reachable but loopback anyway) and prints,
 * per host in file order, the preflight script then the prep script with every step that
 * applies to that host.
 */
import { join } from 'node:path';
import { assertBuilt, EXAMPLES, runCli, tempDir } from '../helpers/cli.js';
import { ARCH_PREP_STEPS, CENTOS_PREP_STEPS } from '../helpers/prep-steps.js';

const CENTOS_PREP = CENTOS_PREP_STEPS;
const ARCH_PREP = ARCH_PREP_STEPS;

/** Per `# k8sprep host=... phase=...` header: the step ids the script runs (from k8sprep_main). */
function parse(out: string): { header: string; steps: string[] }[] {
  return out
    .split(/^(?=# k8sprep host=)/m)
    .filter((s) => s.startsWith('# k8sprep host='))
    .map((s) => ({
      header: s.split('\n')[0] ?? '',
      steps: [...s.matchAll(/^ {2}k8sprep_run_step ([a-z0-9-]+) /gm)].map((m) => m[1] ?? ''),
    }));
}

beforeAll(() => assertBuilt());

test.each([
  [
    'ha-centos7',
    [
      ['cp1', '192.168.56.11'],
      ['cp2', '192.168.56.12'],
      ['cp3', '192.168.56.13'],
      ['w1', '192.168.56.21'],
      ['w2', '192.168.56.22'],
    ].map(([h, a]) => [h, a, 'centos7']),
  ],
  [
    'mixed-bastion',
    [
      ['m1', '172.20.0.11', 'centos7'],
      ['m2', '172.20.0.12', 'centos7'],
      ['m3', '172.20.0.13', 'centos7'],
      ['n1', '172.20.0.31', 'arch'],
      ['n2', '172.20.0.32', 'arch'],
    ],
  ],
])('%s: preflight then prep for every host, every step that applies', async (name, hosts) => {
  const dir = tempDir();
  try {
    const r = await runCli(['node', 'init', '--dry-run', '--prep-only', '-c', join(EXAMPLES, `${name}.yaml`)], { cwd: dir.path });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const scripts = parse(r.stdout);
    expect(scripts.map((s) => s.header)).toEqual(
      hosts.flatMap(([host, address]) => ['preflight', 'prep'].map((phase) => `# k8sprep host=${host} address=${address} phase=${phase}`)),
    );
    scripts.forEach((s, i) => {
      const os = hosts[Math.floor(i / 2)]?.[2];
      expect([s.header, s.steps]).toEqual([s.header, s.header.endsWith('phase=preflight') ? ['preflight'] : os === 'arch' ? ARCH_PREP : CENTOS_PREP]);
    });
  } finally {
    dir.remove();
  }
});
