/**
 * The fan-out benchmark's Ansible contender: Debian's ansible-core running the same steps
 * as tasks. The playbook is generated from k8sprep's phase and step lists and renderer: one
 * play per phase (the linear strategy ends each task on every host before the next, so the
 * preflight play ends before prep, like k8sprep's stage), one `shell` task per step whose
 * command is that step alone rendered by k8sprep (preamble, helpers, check, apply, verify,
 * markers), so every task does exactly what the step does in k8sprep's script. Settings:
 * pipelining on, forks = hosts, no fact gathering, python interpreter given (no discovery),
 * everything else as shipped (ssh ControlMaster/ControlPersist, the linear strategy).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { stepContext } from '../src/run/plan.js';
import { fillSecrets } from '../src/script/secrets.js';
import { renderHostScript, stepsFor } from '../src/script/render.js';
import { preflightPhase, prepPhase } from '../src/actions/prep.js';
import { runProcess, tail } from './common.js';
import type { Contender, FleetRun, Outcome } from './fanout-contenders.js';

const PHASES = [preflightPhase, prepPhase];

function ansibleDir(run: FleetRun): string {
  return join(run.dir, 'ansible');
}

/** steps/<host>/<step>.sh: each step rendered alone for that host; the run id comes from the task's environment. */
function writeStepScripts(run: FleetRun): Map<string, string[]> {
  const perHost = new Map<string, string[]>();
  for (const host of run.cluster.hosts) {
    if (!host.os) throw new Error(`fan-out bench: host ${host.name} has no os`);
    const ctx = stepContext(run.cluster, host, host.os);
    const ids: string[] = [];
    for (const phase of PHASES) {
      // A guard (os-release) is rendered into every step's script, as k8sprep runs it before each phase: no task of its own.
      for (const step of stepsFor(phase, ctx, {}).filter((s) => !s.guard)) {
        const script = renderHostScript(ctx, phase, { only: new Set([step.id]) });
        const file = join(ansibleDir(run), 'steps', host.name, `${step.id}.sh`);
        mkdirSync(join(ansibleDir(run), 'steps', host.name), { recursive: true });
        writeFileSync(file, `set -- "$K8SPREP_RUN_ID_ARG"\n${fillSecrets(script.text, new Map())}`);
        ids.push(step.id);
      }
    }
    perHost.set(host.name, ids);
  }
  return perHost;
}

function playbook(): unknown[] {
  return PHASES.map((phase) => ({
    name: phase.title,
    hosts: 'all',
    gather_facts: false,
    environment: { K8SPREP_RUN_ID_ARG: '{{ k8sprep_run_id }}' },
    tasks: phase.steps.map((step) => ({
      name: `${step.id}: ${step.title}`,
      when: `'${step.id}' in k8sprep_steps`,
      'ansible.builtin.shell': {
        cmd: `{{ lookup('ansible.builtin.file', k8sprep_steps_dir ~ '/' ~ inventory_hostname ~ '/${step.id}.sh') }}`,
        executable: '/bin/bash',
      },
      register: 'k8sprep_result',
      changed_when: `'::k8sprep:: ${step.id} changed' in k8sprep_result.stdout`,
    })),
  }));
}

function ansibleEnv(run: FleetRun): NodeJS.ProcessEnv {
  const dir = ansibleDir(run);
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    LC_ALL: 'C.UTF-8',
    ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
  };
}

/** PLAY RECAP lines: `host : ok=17 changed=14 unreachable=0 failed=0 skipped=1 ...`. */
function parseRecap(stdout: string, hosts: readonly string[]): Outcome {
  const outcome: Outcome = { changed: 0, unchanged: 0, failed: [] };
  for (const host of hosts) {
    const m = new RegExp(`^${host}\\s+:\\s+ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)`, 'm').exec(stdout);
    if (!m) {
      outcome.failed.push(`${host}: not in the PLAY RECAP`);
      continue;
    }
    const [ok, changed, unreachable, failed] = m.slice(1).map(Number) as [number, number, number, number];
    outcome.changed += changed;
    outcome.unchanged += ok - changed;
    if (unreachable + failed > 0) outcome.failed.push(`${host}: unreachable=${unreachable} failed=${failed}`);
  }
  return outcome;
}

export const ansibleContender: Contender = {
  id: 'ansible',
  label: 'ansible-playbook',
  how: 'ansible-core, one shell task per step (that step rendered alone by k8sprep), pipelining on, forks = N, linear strategy, ControlPersist as shipped',
  async prepare(run) {
    const dir = ansibleDir(run);
    mkdirSync(join(dir, 'home'), { recursive: true });
    const steps = writeStepScripts(run);
    const ssh = join(run.fleet.home, '.ssh');
    const inventory = {
      all: {
        hosts: Object.fromEntries(run.fleet.hosts.map((h) => [h.name, { ansible_host: h.address, k8sprep_steps: steps.get(h.name) ?? [] }])),
        vars: {
          ansible_user: 'root',
          ansible_ssh_private_key_file: join(ssh, 'id_ed25519'),
          ansible_ssh_common_args: `-F /dev/null -o UserKnownHostsFile=${join(ssh, 'known_hosts')} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
          k8sprep_steps_dir: join(dir, 'steps'),
        },
      },
    };
    writeFileSync(join(dir, 'inventory.yml'), stringify(inventory, { lineWidth: 0 }));
    writeFileSync(join(dir, 'playbook.yml'), stringify(playbook(), { lineWidth: 0 }));
    writeFileSync(
      join(dir, 'ansible.cfg'),
      [
        '[defaults]',
        `forks = ${run.parallel}`,
        'gathering = explicit',
        'interpreter_python = /usr/bin/python3',
        'host_key_checking = True',
        'retry_files_enabled = False',
        'nocolor = True',
        '[ssh_connection]',
        'pipelining = True',
        `control_path_dir = ${join(dir, 'cp')}`,
        '',
      ].join('\n'),
    );
  },
  async run(run, runId) {
    const dir = ansibleDir(run);
    const args = ['-i', join(dir, 'inventory.yml'), join(dir, 'playbook.yml'), '-e', `k8sprep_run_id=${runId}`];
    const r = await runProcess('ansible-playbook', args, { cwd: dir, env: ansibleEnv(run), cpu: true });
    const outcome = parseRecap(
      r.stdout,
      run.fleet.hosts.map((h) => h.name),
    );
    if (r.code !== 0 && outcome.failed.length === 0) outcome.failed.push(`ansible-playbook exit ${r.code}: ${tail(r.stdout + r.stderr, 10)}`);
    if (outcome.failed.length > 0) outcome.failed.push(`ansible output:\n${tail(r.stdout + r.stderr, 25)}`);
    return { ms: r.ms, cpuMs: r.cpuMs ?? NaN, outcome };
  },
  /** Ends the ssh control masters ControlPersist left running (each for 60 s otherwise). */
  async cleanup(run) {
    const cp = join(ansibleDir(run), 'cp');
    let sockets: string[];
    try {
      sockets = readdirSync(cp);
    } catch {
      return;
    }
    await Promise.all(sockets.map((s) => runProcess('ssh', ['-F', '/dev/null', '-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'bench'])));
  },
};
