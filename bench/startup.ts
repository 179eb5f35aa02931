/**
 * Startup benchmark (issue 2): how long `k8sprep --version` (./bin/run.js, the built CLI
 * with its oclif manifest) takes from spawn to exit, against `node -e 0` (Node's own
 * start, the floor for any Node CLI). Interleaved per sample; medians and the ratio.
 */
import { fileURLToPath } from 'node:url';
import { fmtMs, median, type Log, rotate, runOk, stdoutLog } from './common.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface StartupResult {
  runs: number;
  k8sprepMs: number[];
  nodeMs: number[];
}

export async function benchStartup(opts: { runs?: number; log?: Log } = {}): Promise<StartupResult> {
  const runs = opts.runs ?? 20;
  const log = opts.log ?? stdoutLog;
  const contenders = [
    { id: 'k8sprep', run: () => runOk('./bin/run.js', ['--version'], { cwd: REPO }) },
    { id: 'node', run: () => runOk(process.execPath, ['-e', '0'], { cwd: REPO }) },
  ] as const;
  const result: StartupResult = { runs, k8sprepMs: [], nodeMs: [] };
  log(`Startup: ./bin/run.js --version vs node -e 0, ${runs} runs each, interleaved`);
  for (const c of contenders) await c.run(); // warm the page cache outside the measurements
  for (let i = 0; i < runs; i++) {
    for (const c of rotate(contenders, i)) {
      const { ms } = await c.run();
      (c.id === 'k8sprep' ? result.k8sprepMs : result.nodeMs).push(ms);
    }
  }
  const k = median(result.k8sprepMs);
  const n = median(result.nodeMs);
  log(`  k8sprep --version  median ${fmtMs(k)}`);
  log(`  node -e 0          median ${fmtMs(n)}`);
  log(`  k8sprep --version / node -e 0 = ${(k / n).toFixed(2)}x (${fmtMs(k - n)} over Node's own start; issue 2 sets no number)`);
  return result;
}
