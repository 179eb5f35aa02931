/**
 * The dry run (src/run/dry-run.ts through runHostCommand): headers per host in cluster-file
 * order, the exact script bytes, --out files, and secrets redacted unless --show-secrets.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterFile } from '../../src/cluster/load.js';
import type { Cluster } from '../../src/cluster/types.js';
import { DryRunCollector, type DryRunOutput, dryRunBytes, scriptHeader } from '../../src/run/dry-run.js';
import { type HostRunFlags, runHostCommand } from '../../src/run/host-command.js';
import { type HostPlan, planHost, stepContext } from '../../src/run/plan.js';
import { writeFile } from '../../src/script/files.js';
import { fillSecrets, redactSecrets, secretNames, secretRef } from '../../src/script/secrets.js';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { allSteps, HOSTS, type Phase } from '../../src/run/phase.js';
import type { Step } from '../../src/steps/types.js';
import { bashSyntax } from '../helpers/bash.js';
import { EXAMPLES, tempDir } from '../helpers/cli.js';

const HA = join(EXAMPLES, 'ha-centos7.yaml');
const phases = nodeInitPhases({ prepOnly: true });

function flags(extra: Partial<HostRunFlags>): HostRunFlags {
  return {
    config: HA,
    'dry-run': true,
    'show-secrets': false,
    concurrency: 10,
    'accept-new-host-keys': false,
    'ask-pass': false,
    verbose: false,
    json: false,
    ...extra,
  };
}

async function dryRun(extra: Partial<HostRunFlags>, ph: readonly Phase[] = phases, secrets?: Map<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runHostCommand(flags(extra), () => ({ phases: ph, ...(secrets ? { prepare: async () => ({ secrets }) } : {}) }), {
    write: (t) => (out += t),
  });
  return { code, out };
}

let ha: Cluster;
beforeAll(async () => {
  ha = await loadClusterFile(HA);
});

describe('printed dry run', () => {
  test('one header per host, in cluster-file order, each followed by exactly the rendered script', async () => {
    const { code, out } = await dryRun({});
    expect(code).toBe(0);
    const headers = out.split('\n').filter((l) => l.startsWith('# k8sprep host='));
    const phaseIds = phases.map((p) => p.id).filter((id) => headers.some((h) => h.endsWith(` phase=${id}`)));
    expect(phaseIds).toContain('prep');
    // Host by host in file order, each host's phases in run order.
    expect(headers).toEqual(
      [
        ['cp1', '192.168.56.11'],
        ['cp2', '192.168.56.12'],
        ['cp3', '192.168.56.13'],
        ['w1', '192.168.56.21'],
        ['w2', '192.168.56.22'],
      ].flatMap(([name, address]) => phaseIds.map((id) => `# k8sprep host=${name} address=${address} phase=${id}`)),
    );
    const expected = ha.hosts
      .map((h) => {
        const plan = planHost(ha, h, 'centos7', phases, {});
        return plan.scripts.map((s) => `${scriptHeader(h, s.phase.id)}\n${redactSecrets(s.text)}`).join('');
      })
      .join('');
    expect(out).toBe(expected);
  });

  test('--hosts keeps cluster-file order whatever order it is given in', async () => {
    const { out } = await dryRun({ hosts: 'w2,cp1', only: 'sysctl' });
    expect(out.split('\n').filter((l) => l.startsWith('# k8sprep host='))).toEqual([
      '# k8sprep host=cp1 address=192.168.56.11 phase=prep',
      '# k8sprep host=w2 address=192.168.56.22 phase=prep',
    ]);
  });

  test('--only / --skip reach the printed scripts', async () => {
    const only = (await dryRun({ hosts: 'cp1', only: 'sysctl' })).out;
    expect(only.match(/^ {2}k8sprep_run_step .*$/gm)).toEqual([
      '  k8sprep_run_step os-release k8sprep_step_os_release',
      '  k8sprep_run_step sysctl k8sprep_step_sysctl',
    ]);
    const skip = (await dryRun({ hosts: 'cp1', skip: 'preflight,sysctl' })).out;
    const runs = skip.match(/^ {2}k8sprep_run_step \S+/gm)?.map((l) => l.split(' ').pop());
    const ctx = stepContext(ha, ha.hosts[0]!, 'centos7');
    expect(runs).toEqual(
      allSteps(phases)
        .filter((st) => st.appliesTo(ctx) && st.id !== 'preflight' && st.id !== 'sysctl')
        .map((st) => st.id),
    );
    expect(runs).toEqual(expect.arrayContaining(['swap', 'kernel-modules']));
  });
});

describe('--out DIR', () => {
  test('writes DIR/<host>/01-prep.sh, executable, identical to the printed script; prints the paths', async () => {
    const dir = tempDir('k8sprep-out-');
    try {
      const out = join(dir.path, 'scripts');
      const written = await dryRun({ out });
      const printed = await dryRun({});
      expect(written.code).toBe(0);
      const names = phases.map((p, i) => `${String(i + 1).padStart(2, '0')}-${p.id}.sh`);
      expect(names).toContain(`${String(phases.findIndex((p) => p.id === 'prep') + 1).padStart(2, '0')}-prep.sh`);
      expect(written.out).toBe(ha.hosts.flatMap((h) => names.map((n) => `${join(out, h.name, n)}\n`)).join(''));
      expect(readdirSync(out).sort()).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2']);
      const bodies = printed.out.split(/^# k8sprep host=.*\n/m).slice(1);
      expect(bodies).toHaveLength(ha.hosts.length * names.length);
      ha.hosts.forEach((h, i) => {
        expect(readdirSync(join(out, h.name)).sort()).toEqual(names);
        expect(statSync(join(out, h.name)).mode & 0o777).toBe(0o700);
        names.forEach((n, j) => {
          const file = join(out, h.name, n);
          expect(statSync(file).mode & 0o777).toBe(0o755);
          expect(readFileSync(file, 'utf8')).toBe(bodies[i * names.length + j]);
        });
      });
    } finally {
      dir.remove();
    }
  });
});

describe('secrets', () => {
  const TOKEN = 'abcdef.0123456789abcdef';
  const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB$(not a command)`nor this`\n-----END PRIVATE KEY-----';
  const secretStep: Step = {
    id: 'write-secrets',
    title: 'write a token and a key',
    appliesTo: (ctx) => ctx.host.isControlPlane,
    check: () => 'false',
    apply: (ctx) =>
      [
        writeFile({ path: '/etc/kubernetes/token.txt', mode: '600', content: `${ctx.secret('bootstrap-token')}\n` }),
        writeFile({ path: '/etc/kubernetes/pki/ca.key', mode: '600', content: `${ctx.secret('ca.key')}\n` }),
      ].join('\n'),
    verify: () => 'true',
  };
  const secretPhase: Phase = { id: 'certs', title: 'certificates', placement: { hosts: HOSTS.controlPlanes, order: 'parallel' }, steps: [secretStep] };
  const values = new Map([
    ['bootstrap-token', TOKEN],
    ['ca.key', KEY],
  ]);

  const plans = (): HostPlan[] => ha.hosts.map((h) => planHost(ha, h, 'centos7', [...phases, secretPhase], {}));
  /** What the runner does in a dry run: each host's scripts to the collector, then printed (or written). */
  const emitPlans = async (output: Omit<DryRunOutput, 'showSecrets'> & { secrets?: ReadonlyMap<string, string> }) => {
    const collector = new DryRunCollector();
    for (const plan of plans()) for (const sc of plan.scripts) collector.add(plan.host, sc.phase.id, sc.text, output.secrets ?? values);
    await collector.emit(ha.hosts, { out: output.out, write: output.write, showSecrets: output.secrets !== undefined });
  };

  test('the rendered text keeps placeholders; the dry run shows <redacted:NAME>', async () => {
    const plan = plans()[0]!;
    const certs = plan.scripts[plan.scripts.length - 1]!;
    expect(certs.phase.id).toBe('certs');
    const raw = certs.text;
    expect(secretNames(raw)).toEqual(['bootstrap-token', 'ca.key']);
    let out = '';
    await emitPlans({ write: (t) => (out += t) });
    expect(out).toContain("k8sprep_write_file /etc/kubernetes/token.txt 600 <<'K8SPREP_EOF'\n<redacted:bootstrap-token>\nK8SPREP_EOF");
    expect(out).toContain('<redacted:ca.key>');
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain('\u0001');
    // Workers have no certs phase.
    expect(out.split('\n').filter((l) => l.startsWith('# k8sprep host=w1') && l.endsWith('phase=certs'))).toEqual([]);
    expect(out.split('\n').filter((l) => l.startsWith('# k8sprep host=cp1') && l.endsWith('phase=certs'))).toHaveLength(1);
  });

  test('with --show-secrets the real values appear, in the quoted heredoc', async () => {
    let out = '';
    await emitPlans({ write: (t) => (out += t), secrets: values });
    expect(out).toContain(`<<'K8SPREP_EOF'\n${TOKEN}\nK8SPREP_EOF`);
    expect(out).toContain(`<<'K8SPREP_EOF'\n${KEY}\nK8SPREP_EOF`);
    expect(out).not.toContain('<redacted:');
    for (const script of out.split(/^# k8sprep host=.*\n/m).slice(1)) expect(bashSyntax(script).status).toBe(0);
  });

  test('--out: one file per host and phase; scripts holding shown secrets are 0700, the others 0755', async () => {
    const dir = tempDir();
    try {
      const written: string[] = [];
      await emitPlans({ out: join(dir.path, 'hidden'), write: (t) => written.push(t.trim()) });
      await emitPlans({ out: join(dir.path, 'shown'), secrets: values, write: (t) => written.push(t.trim()) });
      const number = String(plans()[0]!.scripts.findIndex((sc) => sc.phase.id === 'certs') + 1).padStart(2, '0');
      const certs = (which: string) => join(dir.path, which, 'cp1', `${number}-certs.sh`);
      expect(written).toContain(certs('shown'));
      expect(readFileSync(certs('hidden'), 'utf8')).toContain('<redacted:ca.key>');
      expect(statSync(certs('hidden')).mode & 0o777).toBe(0o755);
      expect(readFileSync(certs('shown'), 'utf8')).toContain(KEY);
      expect(statSync(certs('shown')).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir.path, 'shown', 'cp1')).mode & 0o777).toBe(0o700);
    } finally {
      dir.remove();
    }
  });

  test('through runHostCommand: redacted by default, values only with --show-secrets', async () => {
    const hidden = await dryRun({ hosts: 'cp1' }, [...phases, secretPhase], values);
    expect(hidden.out).toContain('<redacted:bootstrap-token>');
    expect(hidden.out).not.toContain(TOKEN);
    const shown = await dryRun({ hosts: 'cp1', 'show-secrets': true }, [...phases, secretPhase], values);
    expect(shown.out).toContain(TOKEN);
    expect(shown.out).not.toContain('<redacted:');
  });

  test('filled and redacted bytes differ only at the placeholders', () => {
    const raw = plans()[0]!.scripts.find((sc) => sc.phase.id === 'certs')!.text;
    const filled = fillSecrets(raw, values);
    const redacted = redactSecrets(raw);
    const pieces = raw.split(/\u0001k8sprep-secret:[A-Za-z0-9_.-]+\u0001/);
    expect(pieces).toHaveLength(3);
    // Walk both outputs through the fixed pieces: between them only the value / the mark.
    const walk = (text: string, fill: (name: string) => string) => {
      const names = secretNames(raw);
      let rebuilt = pieces[0]!;
      names.forEach((n, i) => (rebuilt += fill(n) + pieces[i + 1]!));
      return rebuilt === text;
    };
    expect(walk(filled, (n) => values.get(n)!)).toBe(true);
    expect(walk(redacted, (n) => `<redacted:${n}>`)).toBe(true);
    expect(dryRunBytes(raw, undefined)).toBe(redacted);
    expect(dryRunBytes(raw, values)).toBe(filled);
  });

  test('a missing value, or one that would end the heredoc early, is refused', () => {
    const raw = `x\n${secretRef('a')}\ny`;
    expect(() => fillSecrets(raw, new Map())).toThrow('secret a has no value');
    expect(() => fillSecrets(raw, new Map([['a', 'ok\nK8SPREP_EOF\nrm -rf /']]))).toThrow(/secret a holds a line starting with K8SPREP_EOF/);
    expect(fillSecrets(raw, new Map([['a', 'ok K8SPREP_EOF']]))).toBe('x\nok K8SPREP_EOF\ny');
    expect(() => secretRef('bad name')).toThrow('invalid secret name bad name');
  });
});
