/**
 * The phase runner over real bash (the local transport): placement (which hosts, in parallel
 * or one at a time, stopping at the first failure), phases that need others, local phases,
 * cross-host checks, marker parsing, failure isolation, logs with secrets scrubbed, the
 * summary, the failing step's stderr, aborting (Ctrl-C) a run, and the receive times the runner
 * records for facts (clock skew across hosts run at different moments).
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster, Host } from '../../src/cluster/types.js';
import { formatSummary, summaryJson } from '../../src/output/host-summary.js';
import { runAction } from '../../src/run/action.js';
import { HOSTS, type Phase, type Placement } from '../../src/run/phase.js';
import type { RunResult } from '../../src/run/runner.js';
import { shq } from '../../src/script/quote.js';
import { writeFile } from '../../src/script/files.js';
import { preflightCrossHostCheck } from '../../src/steps/preflight/cross-host.js';
import type { Step } from '../../src/steps/types.js';
import { LocalTransport } from '../../src/transport/local.js';
import { isRunning } from '../hosts/proc.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8sprep-exec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cluster(names: string[]): Cluster {
  const hosts = names.map((n, i) => `    - {name: ${n}, address: 127.0.0.${10 + i}, roles: [${i === 0 ? 'control-plane' : 'worker'}], os: centos7}`);
  return parseClusterText(
    `apiVersion: k8sprep.io/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  kubernetes: {version: "1.30.6"}\n  hosts:\n${hosts.join('\n')}\n`,
    'test.yaml',
  );
}

/** A step that writes `<dir>/<host>/<id>` once; fails on hosts named in `failOn`. */
function fileStep(id: string, failOn: string[] = []): Step {
  const path = (host: Host) => join(dir, host.name, id);
  return {
    id,
    title: `write ${id}`,
    appliesTo: () => true,
    check: (ctx) => `[ -f ${shq(path(ctx.host))} ]`,
    apply: (ctx) =>
      failOn.includes(ctx.host.name)
        ? `echo "no space left for ${id}" >&2\nfalse`
        : writeFile({ path: path(ctx.host), mode: '600', content: `${id} ${ctx.secret('token')}\n` }),
  };
}

const ALL: Placement = { hosts: HOSTS.targets, order: 'parallel' };
const TOKEN = new Map([['token', 'abcdef.0123456789abcdef']]);

function runAll(c: Cluster, phases: Phase[], opts: { secrets?: Map<string, string>; concurrency?: number; signal?: AbortSignal } = {}): Promise<RunResult> {
  return runAction({
    cluster: c,
    targets: c.hosts,
    phases,
    runId: 'test-run',
    logDir: join(dir, 'logs'),
    secrets: opts.secrets ?? TOKEN,
    concurrency: opts.concurrency ?? 2,
    display: 'silent',
    signal: opts.signal,
    transportFor: (host) => new LocalTransport(host),
  });
}

async function run(c: Cluster, phases: Phase[], secrets = TOKEN) {
  return (await runAll(c, phases, { secrets })).hosts;
}

const prep = (steps: Step[]): Phase => ({ id: 'prep', title: 'prep', placement: ALL, steps });

test('runs every step, reports changed then unchanged, one host failing leaves the others going', async () => {
  const c = cluster(['h1', 'h2', 'h3']);
  const phases: Phase[] = [prep([fileStep('one'), fileStep('two', ['h2']), fileStep('three')])];
  const first = await run(c, phases);
  expect(first.map((r) => [r.host, r.status, r.changed, r.unchanged, r.failed])).toEqual([
    ['h1', 'ok', 3, 0, 0],
    ['h2', 'failed', 1, 0, 1],
    ['h3', 'ok', 3, 0, 0],
  ]);
  const h2 = first[1];
  expect(h2?.failedStep).toBe('two');
  expect(h2?.steps.map((s) => s.status)).toEqual(['changed', 'failed', 'not-run']);
  expect(h2?.stderrTail).toContain('no space left for two');
  expect(formatSummary(first)).toMatch(/h2: step two \(write two\) failed: phase prep exited with status 1 in step two\n {2}\| no space left for two/);

  // The secret reached the host's file, but not the log.
  expect(await readFile(join(dir, 'h1', 'one'), 'utf8')).toBe('one abcdef.0123456789abcdef\n');
  expect((await stat(join(dir, 'h1', 'one'))).mode & 0o777).toBe(0o600);
  const log = await readFile(first[0]?.logPath ?? '', 'utf8');
  expect(log).toContain('<redacted:token>');
  expect(log).not.toContain('0123456789abcdef');
  expect((await stat(first[0]?.logPath ?? '')).mode & 0o777).toBe(0o600);

  const second = await runAll(c, [prep([fileStep('one'), fileStep('two'), fileStep('three')])]);
  expect(second.hosts.map((r) => [r.host, r.status, r.changed, r.unchanged])).toEqual([
    ['h1', 'ok', 0, 3],
    ['h2', 'ok', 2, 1],
    ['h3', 'ok', 0, 3],
  ]);
  expect(JSON.parse(summaryJson('test-run', second))).toMatchObject({
    runId: 'test-run',
    ok: true,
    phases: [{ id: 'prep', status: 'ok' }],
    hosts: [{ host: 'h1' }, { host: 'h2' }, { host: 'h3' }],
  });
});

test("a cross-host check sees every host's facts and fails only the hosts it names, before the next phase", async () => {
  const c = cluster(['a1', 'a2', 'a3']);
  const factStep: Step = {
    id: 'facts',
    title: 'print facts',
    appliesTo: () => true,
    check: (ctx) => `k8sprep_fact machine_id ${shq(ctx.host.name === 'a3' ? 'same' : ctx.host.name === 'a1' ? 'same' : 'other')}`,
    apply: () => 'false',
  };
  const seen: string[][] = [];
  const preflight: Phase = {
    id: 'preflight',
    title: 'preflight',
    placement: ALL,
    steps: [factStep],
    crossHostCheck: (facts) => {
      seen.push([...facts].map(([h, f]) => `${h}=${f.machineId ?? ''}`));
      return new Map([['a3', ['machine id "same" is also a1\'s']]]);
    },
  };
  const reports = await run(c, [preflight, prep([fileStep('one')])]);
  expect(seen).toEqual([['a1=same', 'a2=other', 'a3=same']]);
  expect(reports.map((r) => [r.host, r.status])).toEqual([
    ['a1', 'ok'],
    ['a2', 'ok'],
    ['a3', 'failed'],
  ]);
  expect(reports[2]?.error).toBe('preflight: machine id "same" is also a1\'s');
  expect(reports[2]?.steps.find((s) => s.id === 'one')?.status).toBe('not-run');
  await expect(stat(join(dir, 'a3', 'one'))).rejects.toThrow();
  await expect(stat(join(dir, 'a1', 'one'))).resolves.toBeTruthy();
});

test('clocks are compared as offsets from when the runner received them: hosts read minutes apart agree, a host 60 s off does not', async () => {
  // concurrency 1 over a slow link: each host's preflight runs 100 s after the previous one's.
  // The runner's clock (Date.now) is moved on by that much before each host runs, and each
  // host prints its clock as it would then read: in sync, except k3's, which is 60 s fast.
  const c = cluster(['k1', 'k2', 'k3']);
  const ranAfter: Record<string, number> = { k1: 0, k2: 100, k3: 200 };
  const fast: Record<string, number> = { k1: 0, k2: 0, k3: 60 };
  const clockStep: Step = {
    id: 'clock',
    title: 'print the clock',
    appliesTo: () => true,
    check: (ctx) => `k8sprep_fact clock "$(( $(date +%s) + ${(ranAfter[ctx.host.name] ?? 0) + (fast[ctx.host.name] ?? 0)} ))"`,
    apply: () => 'false',
  };
  const realNow = Date.now;
  let shiftSeconds = 0;
  Date.now = () => realNow.call(Date) + shiftSeconds * 1000;
  try {
    const { hosts: reports } = await runAction({
      cluster: c,
      targets: c.hosts,
      phases: [{ id: 'preflight', title: 'preflight', placement: ALL, steps: [clockStep], crossHostCheck: preflightCrossHostCheck }],
      runId: 'test-run',
      logDir: join(dir, 'logs'),
      secrets: new Map(),
      concurrency: 1,
      display: 'silent',
      transportFor: (host) => {
        const local = new LocalTransport(host);
        return {
          hostName: local.hostName,
          connect: () => local.connect(),
          close: () => local.close(),
          runScript: (script, args, handlers) => {
            shiftSeconds = ranAfter[host.name] ?? 0;
            return local.runScript(script, args, handlers);
          },
        };
      },
    });
    expect(reports.map((r) => [r.host, r.status])).toEqual([
      ['k1', 'ok'],
      ['k2', 'ok'],
      ['k3', 'failed'],
    ]);
    expect(reports[2]?.error).toMatch(/^preflight: clock is (59|60|61) s ahead of k[12]'s; certificates and etcd need the hosts' clocks within 30 s/);
  } finally {
    Date.now = realNow;
  }
});

test("a failed host's stderr tail is its failing step's stderr, not the whole run's last lines", async () => {
  const c = cluster(['s1', 's2']);
  const noisy: Step = {
    id: 'noisy',
    title: 'succeeds, talking on stderr',
    appliesTo: () => true,
    check: () => 'false',
    apply: () => 'for i in $(seq 1 20); do echo "noise $i" >&2; done',
    verify: () => 'true',
  };
  const broken: Step = {
    id: 'broken',
    title: 'fails on s2',
    appliesTo: () => true,
    check: () => 'false',
    apply: (ctx) => (ctx.host.name === 's2' ? 'echo "broken: disk full" >&2\necho "broken: giving up" >&2\nfalse' : 'true'),
    verify: () => 'true',
  };
  const [s1, s2] = await run(c, [prep([noisy, broken])]);
  expect([s2?.status, s2?.failedStep, s2?.error]).toEqual(['failed', 'broken', 'phase prep exited with status 1 in step broken']);
  expect(s2?.stderrTail).toEqual(['broken: disk full', 'broken: giving up']);
  expect(formatSummary([s1!, s2!])).toMatch(/s2: step broken \(fails on s2\) failed: [^\n]*\n {2}\| broken: disk full\n {2}\| broken: giving up$/);
  // A host that succeeded has no failure to explain.
  expect([s1?.status, s1?.stderrTail]).toEqual(['ok', []]);
  // The noise is still in the host's log.
  expect(await readFile(s2?.logPath ?? '', 'utf8')).toContain('[stderr] noise 20');
});

test('aborting (Ctrl-C) kills the running step, runs nothing after it, and reports the host interrupted', async () => {
  const c = cluster(['i1']);
  const pidFile = join(dir, 'sleep.pid');
  const waits: Step = {
    id: 'waits',
    title: 'waits',
    appliesTo: () => true,
    check: () => 'false',
    apply: () => `sleep 120 &\necho "$!" >${shq(pidFile)}\nwait "$!"`,
    verify: () => 'true',
  };
  const controller = new AbortController();
  const started = (async () => {
    for (;;) {
      const pid = await readFile(pidFile, 'utf8').catch(() => '');
      if (pid.trim()) return Number(pid);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = runAll(c, [prep([waits, fileStep('after')]), { id: 'later', title: 'later', placement: ALL, steps: [fileStep('later')] }], {
    signal: controller.signal,
  });
  const sleepPid = await started;
  controller.abort();
  const {
    hosts: [r],
    phases,
  } = await result;
  expect(phases).toEqual([
    { id: 'prep', status: 'failed' },
    { id: 'later', status: 'not-run', reason: 'interrupted (Ctrl-C)' },
  ]);
  expect([r?.status, r?.failedStep, r?.error]).toEqual(['failed', 'waits', 'interrupted (Ctrl-C) during step waits']);
  expect(r?.steps.map((s) => [s.id, s.status])).toEqual([
    ['waits', 'failed'],
    ['after', 'not-run'],
    ['later', 'not-run'],
  ]);
  // The step's own child is gone too (the whole process group was ended), and nothing later ran.
  expect(isRunning(sleepPid)).toBe(false);
  await expect(stat(join(dir, 'i1', 'after'))).rejects.toThrow();
  await expect(stat(join(dir, 'i1', 'later'))).rejects.toThrow();
  expect(await readFile(r?.logPath ?? '', 'utf8')).toContain('failed: interrupted (Ctrl-C) during step waits');
});

describe('placement', () => {
  /** cp1..cpN control planes and w1..wM workers, run locally. */
  function fleet(cps: number, workers: number): Cluster {
    const hosts = [
      ...Array.from({ length: cps }, (_, i) => `    - {name: cp${i + 1}, address: 127.0.0.${11 + i}, roles: [control-plane], os: centos7}`),
      ...Array.from({ length: workers }, (_, i) => `    - {name: w${i + 1}, address: 127.0.0.${21 + i}, roles: [worker], os: centos7}`),
    ];
    return parseClusterText(
      `apiVersion: k8sprep.io/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  kubernetes: {version: "1.30.6"}\n  controlPlaneEndpoint: {host: 127.0.0.100}\n  hosts:\n${hosts.join('\n')}\n`,
      'test.yaml',
    );
  }

  /**
   * A step recording, per host, when it started and ended (nanoseconds), then failing on
   * `failOn`. With `meet`, each host waits (up to 30 s) until every host named there has started
   * the step too: that only ends when they run at the same time.
   */
  function spanStep(id: string, failOn: string[] = [], meet: string[] = []): Step {
    const file = (name: string) => join(dir, 'spans', `${id}-${name}`);
    return {
      id,
      title: id,
      appliesTo: () => true,
      check: () => 'false',
      apply: (ctx) =>
        [
          `mkdir -p ${shq(join(dir, 'spans'))}`,
          `date +%s%N >${shq(file(ctx.host.name))}`,
          ...meet.map((m) => `for i in $(seq 300); do [ -s ${shq(file(m))} ] && break; sleep 0.1; done; [ -s ${shq(file(m))} ]`),
          `date +%s%N >>${shq(file(ctx.host.name))}`,
          failOn.includes(ctx.host.name) ? 'echo "cannot join" >&2; false' : 'true',
        ].join('\n'),
      verify: () => 'true',
    };
  }

  async function spans(id: string): Promise<Map<string, [number, number]>> {
    const out = new Map<string, [number, number]>();
    for (const name of ['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3']) {
      const text = await readFile(join(dir, 'spans', `${id}-${name}`), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const [start, end] = text.trim().split('\n').map(Number);
      out.set(name, [start ?? 0, end ?? 0]);
    }
    return out;
  }

  const phase = (id: string, placement: Placement, steps: Step[], needs?: string[]): Phase => ({
    id,
    title: id,
    placement,
    steps,
    ...(needs ? { needs } : {}),
  });

  test('each phase reaches only its hosts; one-at-a-time hosts never overlap, in cluster-file order', async () => {
    const c = fleet(3, 2);
    const result = await runAll(
      c,
      [
        phase('init', { hosts: HOSTS.firstControlPlane, order: 'parallel' }, [spanStep('init')]),
        phase('join-cp', { hosts: HOSTS.otherControlPlanes, order: 'one-at-a-time', stopAtFirstFailure: true }, [spanStep('join-cp')]),
        phase('join-w', { hosts: HOSTS.workers, order: 'parallel' }, [spanStep('join-w', [], ['w1', 'w2'])]),
      ],
      { concurrency: 10 },
    );
    expect(result.phases.map((p) => [p.id, p.status])).toEqual([
      ['init', 'ok'],
      ['join-cp', 'ok'],
      ['join-w', 'ok'],
    ]);
    expect([...(await spans('init')).keys()]).toEqual(['cp1']);
    const cp = await spans('join-cp');
    expect([...cp.keys()]).toEqual(['cp2', 'cp3']);
    expect(cp.get('cp2')![1]).toBeLessThanOrEqual(cp.get('cp3')![0]);
    const w = await spans('join-w');
    expect([...w.keys()]).toEqual(['w1', 'w2']);
    // Parallel: each worker's step waited for the other's to start, so they ran at once.
    // Each phase starts after the one before has finished everywhere.
    expect(cp.get('cp2')![0]).toBeGreaterThanOrEqual((await spans('init')).get('cp1')![1]);
    expect(Math.min(w.get('w1')![0], w.get('w2')![0])).toBeGreaterThanOrEqual(cp.get('cp3')![1]);
    expect(result.hosts.map((h) => [h.host, h.phases.map((p) => `${p.id}:${p.status}`)])).toEqual([
      ['cp1', ['init:ok']],
      ['cp2', ['join-cp:ok']],
      ['cp3', ['join-cp:ok']],
      ['w1', ['join-w:ok']],
      ['w2', ['join-w:ok']],
    ]);
  });

  test('stop at the first failure: the control planes after it are not run and leave the run; workers still go', async () => {
    const c = fleet(4, 1);
    const result = await runAll(c, [
      phase('join-cp', { hosts: HOSTS.otherControlPlanes, order: 'one-at-a-time', stopAtFirstFailure: true }, [spanStep('join-cp', ['cp2'])]),
      phase('join-w', { hosts: HOSTS.workers, order: 'parallel' }, [spanStep('join-w')]),
      phase('everyone', { hosts: HOSTS.targets, order: 'parallel' }, [spanStep('everyone')]),
    ]);
    expect([...(await spans('join-cp')).keys()]).toEqual(['cp2']);
    expect([...(await spans('join-w')).keys()]).toEqual(['w1']);
    // cp2 failed, cp3 and cp4 were halted: only cp1 and w1 take part in later phases.
    expect([...(await spans('everyone')).keys()]).toEqual(['cp1', 'w1']);
    const byHost = Object.fromEntries(result.hosts.map((h) => [h.host, [h.status, h.phases.map((p) => `${p.id}:${p.status}`)]]));
    expect(byHost).toEqual({
      cp1: ['ok', ['everyone:ok']],
      cp2: ['failed', ['join-cp:failed', 'everyone:not-run']],
      cp3: ['ok', ['join-cp:not-run', 'everyone:not-run']],
      cp4: ['ok', ['join-cp:not-run', 'everyone:not-run']],
      w1: ['ok', ['join-w:ok', 'everyone:ok']],
    });
    expect(result.hosts.find((h) => h.host === 'cp2')?.stderrTail).toContain('cannot join');
    expect(result.phases.map((p) => [p.id, p.status])).toEqual([
      ['join-cp', 'failed'],
      ['join-w', 'ok'],
      ['everyone', 'ok'],
    ]);
  });

  test('a phase whose needs did not succeed is not run, and says why; local phases run once, on this machine', async () => {
    const c = fleet(1, 2);
    const local: string[] = [];
    const result = await runAll(c, [
      phase('init', { hosts: HOSTS.firstControlPlane, order: 'parallel' }, [spanStep('init', ['cp1'])]),
      phase('join-w', { hosts: HOSTS.workers, order: 'parallel' }, [spanStep('join-w')], ['init']),
      { id: 'fetch', title: 'fetch', placement: 'local', needs: ['init'], runLocal: async () => void local.push('fetch') },
      { id: 'report', title: 'report', placement: 'local', runLocal: async () => void local.push('report') },
    ]);
    expect(result.phases).toEqual([
      { id: 'init', status: 'failed' },
      { id: 'join-w', status: 'not-run', reason: 'needs init' },
      { id: 'fetch', status: 'not-run', reason: 'needs init' },
      { id: 'report', status: 'ok' },
    ]);
    expect(local).toEqual(['report']);
    expect((await spans('join-w')).size).toBe(0);
  });
});
