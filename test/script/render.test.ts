/**
 * The renderer (src/script/render.ts): script structure, one function trio per step,
 * selection, and the marker protocol when a rendered script really runs under bash.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterFile, parseClusterText } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';
import { parseSelection, planHost, stepContext } from '../../src/run/plan.js';
import { PREAMBLE } from '../../src/script/preamble.js';
import { shq } from '../../src/script/quote.js';
import { renderHostScript } from '../../src/script/render.js';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { prepPhase } from '../../src/actions/prep.js';
import { allSteps, type Phase } from '../../src/run/phase.js';
import type { Step } from '../../src/steps/types.js';
import { bashSyntax, runBash, unquotedOccurrences } from '../helpers/bash.js';
import { EXAMPLES, tempDir } from '../helpers/cli.js';

const fn = (id: string) => `k8sprep_step_${id.replace(/-/g, '_')}`;

let ha: Cluster;
beforeAll(async () => {
  ha = await loadClusterFile(join(EXAMPLES, 'ha-centos7.yaml'));
});

describe('structure of a prep script', () => {
  test('shebang, strict mode, preamble once, one trio per step, main last with stdin closed', () => {
    const host = ha.hosts[3]!;
    const ctx = stepContext(ha, host, 'centos7');
    const { text, steps } = renderHostScript(ctx, prepPhase, {});
    const PREP_IDS = prepPhase.steps.filter((s) => s.appliesTo(ctx)).map((s) => s.id);
    expect(PREP_IDS[0]).toBe('os-release'); // the guard comes first
    expect(PREP_IDS).toEqual(expect.arrayContaining(['swap', 'kernel-modules', 'sysctl']));
    const lines = text.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines[1]).toBe('# k8sprep phase prep (host preparation) for host w1: generated, do not edit.');
    expect(lines[2]).toBe('set -euo pipefail');
    expect(text.split(PREAMBLE)).toHaveLength(2);
    expect(steps.map((s) => s.id)).toEqual(PREP_IDS);
    for (const id of PREP_IDS) {
      for (const part of ['check', 'apply', 'verify']) {
        expect([id, part, lines.filter((l) => l === `${fn(id)}_${part}() {`).length]).toEqual([id, part, 1]);
      }
    }
    const main = lines.indexOf('k8sprep_main() {');
    expect(lines.slice(main, main + PREP_IDS.length + 2)).toEqual(['k8sprep_main() {', ...PREP_IDS.map((id) => `  k8sprep_run_step ${id} ${fn(id)}`), '}']);
    expect(lines.filter((l) => l.startsWith('# ') && / [a-z0-9-]+: /.test(l)).length).toBeGreaterThanOrEqual(PREP_IDS.length);
    expect(text.endsWith('\nk8sprep_main </dev/null\n')).toBe(true);
    expect(lines.filter((l) => l.startsWith('k8sprep_main')).length).toBe(2); // definition + the one call
    expect(text).toContain('k8sprep_mark() { printf \'::k8sprep:: %s %s\\n\' "$1" "$2"; }');
    expect(bashSyntax(text).status).toBe(0);
  });

  test('pure: the same input renders the same bytes', () => {
    const ctx = stepContext(ha, ha.hosts[0]!, 'centos7');
    expect(renderHostScript(ctx, prepPhase, {}).text).toBe(renderHostScript(ctx, prepPhase, {}).text);
  });

  test('per-OS differences: zram handling only on Arch', async () => {
    const mixed = await loadClusterFile(join(EXAMPLES, 'mixed-bastion.yaml'));
    const centos = renderHostScript(stepContext(mixed, mixed.hosts[0]!, 'centos7'), prepPhase, {}).text;
    const arch = renderHostScript(stepContext(mixed, mixed.hosts[3]!, 'arch'), prepPhase, {}).text;
    expect(centos).not.toContain('zram');
    expect(arch).toContain('/etc/systemd/zram-generator.conf');
    expect(centos).toContain('[ "${ID:-}" = centos ] && [ "${VERSION_ID:-}" = 7 ]');
    expect(arch).toContain('[ "${ID:-}" = arch ]');
  });
});

describe('--only / --skip', () => {
  const phases = nodeInitPhases({ prepOnly: true });
  const render = (only?: string, skip?: string) => planHost(ha, ha.hosts[0]!, 'centos7', phases, parseSelection(phases, only, skip));

  const prepIds = () => prepPhase.steps.filter((st) => st.appliesTo(stepContext(ha, ha.hosts[0]!, 'centos7'))).map((st) => st.id);
  const prepScript = (plan: ReturnType<typeof render>) => plan.scripts.find((sc) => sc.phase.id === 'prep')!;

  test('--only keeps just the named steps, in phase order, behind the os-release guard', () => {
    const plan = render('sysctl,swap');
    expect(plan.scripts).toHaveLength(1);
    // The guard always runs first: a script for CentOS never touches a host that is not CentOS.
    expect(plan.scripts[0]!.steps.map((s) => s.id)).toEqual(['os-release', 'swap', 'sysctl']);
    expect(plan.scripts[0]!.text).not.toContain(`${fn('kernel-modules')}_check`);
    expect(plan.scripts[0]!.text.match(/^ {2}k8sprep_run_step \S+/gm)).toEqual([
      '  k8sprep_run_step os-release',
      '  k8sprep_run_step swap',
      '  k8sprep_run_step sysctl',
    ]);
    expect(plan.scripts.map((s) => s.phase.id)).toEqual(['prep']);
  });

  test('--only naming only the guard, or only steps of another phase, leaves a phase without a script', () => {
    expect(render('os-release').scripts).toEqual([]);
    expect(render('preflight').scripts.map((s) => s.phase.id)).toEqual(['preflight']);
  });

  test('--skip cannot name a guard (it would let a script run on the wrong OS)', () => {
    expect(() => render(undefined, 'swap,os-release')).toThrow('--skip: os-release always runs: it stops a script rendered for one OS from running on another');
  });

  test('--skip drops the named steps', () => {
    const plan = render(undefined, 'swap,kernel-modules');
    expect(prepScript(plan).steps.map((s) => s.id)).toEqual(prepIds().filter((id) => id !== 'swap' && id !== 'kernel-modules'));
    expect(prepScript(plan).steps[0]?.id).toBe('os-release');
    expect(prepScript(plan).text).not.toContain(`${fn('swap')}_apply`);
    expect(prepScript(plan).text).toContain(`${fn('sysctl')}_apply`);
  });

  test('only a guard selected: no steps, and the script text is still valid bash that runs nothing', () => {
    const r = renderHostScript(stepContext(ha, ha.hosts[0]!, 'centos7'), prepPhase, { only: new Set(['os-release']) });
    expect(r.steps).toEqual([]);
    expect(bashSyntax(r.text)).toMatchObject({ status: 0, stderr: '' });
    expect(runBash(r.text).stdout).toBe('');
  });

  test('a phase with no selected step renders no script', () => {
    const empty: Phase = { id: 'empty', title: 'nothing here', placement: { hosts: (ctx) => ctx.targets, order: 'parallel' }, steps: [] };
    const plan = planHost(ha, ha.hosts[0]!, 'centos7', [empty, prepPhase], {});
    expect(plan.scripts.map((s) => s.phase.id)).toEqual(['prep']);
  });

  test('unknown or empty lists are input errors', () => {
    const all = allSteps(phases).map((st) => st.id);
    expect(all).toEqual(expect.arrayContaining(['os-release', 'swap', 'kernel-modules', 'sysctl']));
    expect(() => parseSelection(phases, 'nope')).toThrow(`--only: unknown step "nope"; steps: ${all.join(', ')}`);
    expect(() => parseSelection(phases, undefined, ' , ')).toThrow('--skip: unknown step (none given)');
  });
});

describe('dynamic values are quoted or in a quoted heredoc', () => {
  const text = `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: q}
spec:
  kubernetes: {version: "1.30.6"}
  mirrors:
    registries:
      registry.example.com:5000: ["https://mirror.example.com:8443/v2/some_path~x"]
      quay.io: ["https://quay-mirror.example.com/a~b/", "http://10.0.0.9:5000"]
  sysctl:
    net.ipv4.tcp_rmem: "4096   87380 6291456"
    net.ipv4.ip_local_port_range: "1024 65000"
    kernel.core_pattern: /var/crash/core.%e:%p
    net.core.somaxconn: null
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane], os: arch}
    - {name: b, address: 10.1.0.2, roles: [worker], os: centos7}
`;

  test('a sysctl value with % is refused, not escaped', () => {
    expect(() => parseClusterText(text, 'q.yaml')).toThrow('q.yaml:13:26: spec.sysctl.kernel.core_pattern: "/var/crash/core.%e:%p" is not a sysctl value');
  });

  const c = () => parseClusterText(text.replace('    kernel.core_pattern: /var/crash/core.%e:%p\n', ''), 'q.yaml');
  const scripts = () => {
    const cluster = c();
    return cluster.hosts.flatMap((h) => planHost(cluster, h, h.os!, nodeInitPhases({ prepOnly: true }), {}).scripts.map((s) => s.text));
  };

  test('sysctl values: single-quoted on command lines, in the quoted heredoc as is', () => {
    const script = renderHostScript(stepContext(c(), c().hosts[0]!, 'arch'), prepPhase, {}).text;
    expect(script).toContain("k8sprep_sysctl_is 'net.ipv4.tcp_rmem=4096 87380 6291456' &&");
    expect(script).toContain("k8sprep_sysctl_is 'net.ipv4.ip_local_port_range=1024 65000'");
    expect(script).not.toMatch(/net\.core\.somaxconn/); // null removes a built-in key
    expect(script).toMatch(
      /<<'K8SPREP_EOF' \|\| return 1\n# Kubernetes node settings, written by k8sprep\.\n[^]*net\.ipv4\.tcp_rmem = 4096 87380 6291456\n[^]*K8SPREP_EOF\n/,
    );
    expect(bashSyntax(script).status).toBe(0);
  });

  test('every value of the file that shq would quote appears only single-quoted or in a quoted heredoc', () => {
    // Values shq leaves bare (safe words like 10.1.0.1 or registry.example.com:5000) read the
    // same quoted or not; the others must never be open to the shell.
    const values = ['4096 87380 6291456', '1024 65000', 'https://mirror.example.com:8443/v2/some_path~x', 'https://quay-mirror.example.com/a~b/'];
    for (const v of values) expect(shq(v)).not.toBe(v);
    const all = scripts();
    // They do reach the scripts (sysctl, containerd's hosts.toml), so this is not vacuous.
    for (const v of values) expect([v, all.some((script) => script.includes(v))]).toEqual([v, true]);
    for (const script of all) {
      expect(bashSyntax(script).status).toBe(0);
      for (const v of values) expect([v, unquotedOccurrences(script, v)]).toEqual([v, []]);
    }
  });

  test('values that may appear bare are validated to shapes shq leaves bare anyway', () => {
    // Registry hosts, addresses, names and versions are spliced after validation (DESIGN §2):
    // only safe when every accepted value is a word bash reads literally.
    const cluster = c();
    const bare = [
      ...Object.keys(cluster.mirrors.registries),
      ...cluster.hosts.flatMap((h) => [h.name, h.address]),
      cluster.kubernetes.version.full,
      cluster.kubernetes.imageRepository,
    ];
    expect(bare).toEqual(expect.arrayContaining(['registry.example.com:5000', 'quay.io', '10.1.0.1', 'a']));
    for (const v of bare) expect([v, shq(v)]).toEqual([v, v]);
  });
});

describe('a rendered script run under bash: the step trio and the markers', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('k8sprep-render-');
  });
  afterEach(() => dir.remove());

  /** Steps over marker files in the temp dir: `check` = file exists, `apply` = create it. */
  function fileStep(id: string, opts: { applyFails?: boolean; verifyFails?: boolean } = {}): Step {
    const path = join(dir.path, id);
    return {
      id,
      title: `make ${id}`,
      appliesTo: () => true,
      check: () => `[ -e ${shq(path)} ]`,
      apply: () => (opts.applyFails ? `echo "apply of ${id} fails" >&2\nfalse\ntouch ${shq(path)}` : `touch ${shq(path)}`),
      ...(opts.verifyFails ? { verify: () => 'false' } : {}),
    };
  }
  const render = (steps: Step[]) => renderHostScript(stepContext(ha, ha.hosts[0]!, 'centos7'), { id: 't', title: 'test', steps }, {}).text;
  const markers = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::k8sprep:: '));

  test('unchanged when check passes, changed after apply; a second run is all unchanged', () => {
    writeFileSync(join(dir.path, 'one'), '');
    const script = render([fileStep('one'), fileStep('two')]);
    const first = runBash(script, ['run-1']);
    // stderr holds only each step's begin marker (it ties stderr lines to their step).
    expect(first.stderr).toBe('::k8sprep:: one begin\n::k8sprep:: two begin\n');
    expect(first.status).toBe(0);
    expect(markers(first.stdout)).toEqual(['::k8sprep:: one begin', '::k8sprep:: one unchanged', '::k8sprep:: two begin', '::k8sprep:: two changed']);
    expect(existsSync(join(dir.path, 'two'))).toBe(true);
    const second = runBash(script, ['run-2']);
    expect(markers(second.stdout)).toEqual(['::k8sprep:: one begin', '::k8sprep:: one unchanged', '::k8sprep:: two begin', '::k8sprep:: two unchanged']);
  });

  test('a failing apply marks the step failed, stops the script (set -e), and later steps never run', () => {
    const script = render([fileStep('one'), fileStep('bad', { applyFails: true }), fileStep('three')]);
    const r = runBash(script, ['run-1']);
    expect(r.status).not.toBe(0);
    expect(markers(r.stdout)).toEqual(['::k8sprep:: one begin', '::k8sprep:: one changed', '::k8sprep:: bad begin', '::k8sprep:: bad failed']);
    expect(r.stderr).toBe('::k8sprep:: one begin\n::k8sprep:: bad begin\napply of bad fails\n');
    expect(existsSync(join(dir.path, 'bad'))).toBe(false);
    expect(existsSync(join(dir.path, 'three'))).toBe(false);
  });

  test('an apply that does not reach the desired state fails verification', () => {
    const r = runBash(render([fileStep('v', { verifyFails: true })]), ['run-1']);
    expect(r.status).toBe(1);
    expect(markers(r.stdout)).toEqual(['::k8sprep:: v begin', '::k8sprep:: v failed']);
    expect(r.stderr).toBe('::k8sprep:: v begin\nk8sprep: step v: not in the desired state after apply\n');
  });

  test('nothing in the script can read the rest of the script from stdin', () => {
    const step: Step = { id: 'reader', title: 'reads stdin', appliesTo: () => true, check: () => 'false', apply: () => 'cat', verify: () => 'true' };
    const script = `${render([step])}echo "this line must not be read by cat"\n`;
    const r = runBash(script, ['run-1']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toContain('this line must not be read by cat');
    expect(r.stdout).not.toContain('echo "this line');
  });
});
