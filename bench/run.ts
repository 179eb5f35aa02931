/**
 * `npm run bench [-- PART...] [--runs N] [--hosts 1,10,30] [--contenders k8sprep,ssh,ansible] [--shapes 1,3+2,3+10]`
 *
 * Parts: startup (k8sprep --version vs node -e 0), pki (issue 4), fanout (issue 2),
 * bootstrap (issue 8); all by default, in that order. Every number is a ratio of contenders measured side by side in
 * this run (interleaved per sample, medians); the report ends with the issues' targets and
 * whether they were met. Environment: BENCH_RUNS, BENCH_HOSTS, BENCH_CONTENDERS (same as
 * the flags). Ctrl-C stops every test host and child process the bench started.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { abortAll, isAborting, type Target, targetLine } from './common.js';
import { benchBootstrap, parseShape, type Shape } from './bootstrap.js';
import { benchFanout, CONTENDERS } from './fanout.js';
import { benchPki } from './pki.js';
import { benchStartup } from './startup.js';

const PARTS = ['startup', 'pki', 'fanout', 'bootstrap'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench [-- [${PARTS.join('|')}]... [--runs N] [--hosts 1,10,30] [--contenders ${CONTENDERS.map((c) => c.id).join(',')}] [--shapes 1,3+2,3+10]]
  --runs N        samples per contender (default: startup 20, pki 5, fanout 3, bootstrap 3)  env BENCH_RUNS
  --hosts LIST    fan-out fleet sizes (default 1,10,30)                                       env BENCH_HOSTS
  --contenders    fan-out contenders (default all)                                            env BENCH_CONTENDERS
  --shapes LIST   bootstrap clusters, CONTROL_PLANES+WORKERS (default 1,3+2,3+10)             env BENCH_SHAPES`;

function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseCli() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      hosts: { type: 'string' },
      contenders: { type: 'string' },
      shapes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const unknown = positionals.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) usageError(`unknown part ${unknown.join(', ')}`);
  const runsText = values.runs ?? process.env.BENCH_RUNS;
  const runs = runsText === undefined ? undefined : Number(runsText);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) usageError(`--runs: ${runsText} is not a positive integer`);
  const sizes = (values.hosts ?? process.env.BENCH_HOSTS ?? '1,10,30').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 200)) usageError('--hosts: fleet sizes from 1 to 200, comma-separated');
  const ids = (values.contenders ?? process.env.BENCH_CONTENDERS)?.split(',');
  const contenders = ids ? CONTENDERS.filter((c) => ids.includes(c.id)) : CONTENDERS;
  if (ids && (contenders.length !== ids.length || !ids.includes('k8sprep')))
    usageError(`--contenders: k8sprep and any of ${CONTENDERS.map((c) => c.id).join(', ')}`);
  const parts: Part[] = positionals.length > 0 ? PARTS.filter((p) => positionals.includes(p)) : [...PARTS];
  let shapes: Shape[];
  try {
    shapes = (values.shapes ?? process.env.BENCH_SHAPES ?? '1,3+2,3+10').split(',').map(parseShape);
  } catch (err) {
    usageError(`--shapes: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { parts, runs, sizes, contenders, shapes };
}

async function main(): Promise<void> {
  const { parts, runs, sizes, contenders, shapes } = parseCli();
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\nbench: ${signal}: stopping the test hosts and processes it started\n`);
      void abortAll().finally(() => process.exit(130));
    });
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(
    `k8sprep benchmarks: ${parts.join(', ')}; ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? '?'}), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, Node ${process.version}`,
  );
  const targets: Target[] = [];
  const failures: string[] = [];
  const runsOf = (fallback: number) => ({ runs: runs ?? fallback, log });
  for (const part of parts) {
    log('');
    if (part === 'startup') await benchStartup(runsOf(20));
    if (part === 'pki') targets.push(...(await benchPki(runsOf(5))).targets);
    if (part === 'fanout') {
      const r = await benchFanout({ ...runsOf(3), sizes, contenders });
      targets.push(...r.targets);
      failures.push(...r.failures);
    }
    if (part === 'bootstrap') {
      const r = await benchBootstrap({ ...runsOf(3), shapes });
      targets.push(...r.targets);
      failures.push(...r.failures);
    }
  }
  if (targets.length > 0) {
    log('');
    log('Targets:');
    for (const t of targets) log(`  [${t.part}] ${targetLine(t)}`);
  }
  if (failures.length > 0) {
    log('');
    log('Failed (not measured):');
    for (const f of failures) log(`  ${f}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (err) {
  // After Ctrl-C, failures are the interruption's (killed runs): the signal handler exits.
  if (!isAborting()) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    await abortAll();
    process.exit(1);
  }
}
