/**
 * The executor over real bash (the local transport): stages and cross-host checks,
 * marker parsing, failure isolation, logs with secrets scrubbed, the summary, the failing
 * step's stderr, aborting (Ctrl-C) a run, and the receive times the runner records for facts
 * (clock skew across hosts run at different moments).
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterText } from '../../src/cluster/load.js';
import type { Cluster, Host } from '../../src/cluster/types.js';
import { executeHosts, splitStages } from '../../src/run/executor.js';
import { formatSummary, summaryJson } from '../../src/run/summary.js';
import { shq } from '../../src/script/quote.js';
import { writeFile } from '../../src/script/files.js';
import { preflightCrossHostCheck } from '../../src/steps/preflight/cross-host.js';
import type { Phase, Step } from '../../src/steps/types.js';
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

function run(c: Cluster, phases: Phase[], secrets = new Map([['token', 'abcdef.0123456789abcdef']])) {
  return executeHosts({
    cluster: c,
    hosts: c.hosts,
    phases,
    selection: {},
    runId: 'test-run',
    logDir: join(dir, 'logs'),
    secrets,
    concurrency: 2,
    display: 'silent',
    transportFor: (host) => new LocalTransport(host),
  });
}

test('splitStages ends a stage at each phase with a cross-host check', () => {
  const p = (id: string, check = false): Phase => ({ id, title: id, steps: [], ...(check ? { crossHostCheck: () => new Map() } : {}) });
  expect(splitStages([p('a'), p('b', true), p('c'), p('d')]).map((s) => s.map((x) => x.id))).toEqual([['a', 'b'], ['c', 'd']]);
});

test('runs every step, reports changed then unchanged, one host failing leaves the others going', async () => {
  const c = cluster(['h1', 'h2', 'h3']);
  const phases: Phase[] = [{ id: 'prep', title: 'prep', steps: [fileStep('one'), fileStep('two', ['h2']), fileStep('three')] }];
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

  const second = await run(c, [{ id: 'prep', title: 'prep', steps: [fileStep('one'), fileStep('two'), fileStep('three')] }]);
  expect(second.map((r) => [r.host, r.status, r.changed, r.unchanged])).toEqual([
    ['h1', 'ok', 0, 3],
    ['h2', 'ok', 2, 1],
    ['h3', 'ok', 0, 3],
  ]);
  expect(JSON.parse(summaryJson('test-run', second))).toMatchObject({ runId: 'test-run', ok: true, hosts: [{ host: 'h1' }, { host: 'h2' }, { host: 'h3' }] });
});

test('a cross-host check sees every host\'s facts and fails only the hosts it names, before the next phase', async () => {
  const c = cluster(['a1', 'a2', 'a3']);
  const factStep: Step = {
    id: 'facts',
    title: 'print facts',
    appliesTo: () => true,
    check: (ctx) => `k8sprep_fact machine-id ${shq(ctx.host.name === 'a3' ? 'same' : ctx.host.name === 'a1' ? 'same' : 'other')}`,
    apply: () => 'false',
  };
  const seen: string[][] = [];
  const preflight: Phase = {
    id: 'preflight',
    title: 'preflight',
    steps: [factStep],
    crossHostCheck: (facts) => {
      seen.push([...facts].map(([h, f]) => `${h}=${f.get('machine-id') ?? ''}`));
      return new Map([['a3', ['machine id "same" is also a1\'s']]]);
    },
  };
  const reports = await run(c, [preflight, { id: 'prep', title: 'prep', steps: [fileStep('one')] }]);
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

test("clocks are compared as offsets from when the runner received them: hosts read minutes apart agree, a host 60 s off does not", async () => {
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
    const reports = await executeHosts({
      cluster: c,
      hosts: c.hosts,
      phases: [{ id: 'preflight', title: 'preflight', steps: [clockStep], crossHostCheck: preflightCrossHostCheck }],
      selection: {},
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
  const [s1, s2] = await run(c, [{ id: 'prep', title: 'prep', steps: [noisy, broken] }]);
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
  const reports = executeHosts({
    cluster: c,
    hosts: c.hosts,
    phases: [
      { id: 'prep', title: 'prep', steps: [waits, fileStep('after')] },
      { id: 'later', title: 'later', steps: [fileStep('later')] },
    ],
    selection: {},
    runId: 'test-run',
    logDir: join(dir, 'logs'),
    secrets: new Map([['token', 'abcdef.0123456789abcdef']]),
    concurrency: 2,
    display: 'silent',
    signal: controller.signal,
    transportFor: (host) => new LocalTransport(host),
  });
  const sleepPid = await started;
  controller.abort();
  const [r] = await reports;
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
