/** What the renewal scripts reported (`::k8sprep-renew:: <event> [arg]` lines), so the report can say exactly what happened. */
import { RENEW_EVENT } from './renew-journal.js';

export interface RenewProgress {
  staged: string[];
  backupDir?: string;
  /** The commit point was reached (journal.ts): the host completes the new set. */
  committed: boolean;
  replaced: string[];
  swapped: boolean;
  manifestsOut: string[];
  manifestsBack: string[];
  stopped: boolean;
  started: boolean;
  healthy: boolean;
  done: boolean;
  failure?: string;
  /** Earlier interrupted renewals finished first: forward (completed) or back (undone). */
  recovered: { runId: string; direction: 'forward' | 'back' }[];
}

export function newProgress(): RenewProgress {
  return {
    staged: [],
    committed: false,
    replaced: [],
    swapped: false,
    manifestsOut: [],
    manifestsBack: [],
    stopped: false,
    started: false,
    healthy: false,
    done: false,
    recovered: [],
  };
}

const EVENT = new RegExp(`^${RENEW_EVENT} ([a-z-]+)(?: (.*))?$`);

/** Applies one output line; false when it is not an event (ordinary output). */
export function applyEvent(p: RenewProgress, line: string): boolean {
  const m = EVENT.exec(line);
  if (!m) return false;
  const arg = m[2] ?? '';
  switch (m[1]) {
    case 'staged':
      p.staged.push(arg);
      break;
    case 'backup':
      p.backupDir = arg;
      break;
    case 'committed':
      p.committed = true;
      break;
    case 'replaced':
      p.replaced.push(arg);
      break;
    case 'swapped':
      p.swapped = true;
      break;
    case 'manifest-out':
      p.manifestsOut.push(arg);
      break;
    case 'manifest-back':
      p.manifestsBack.push(arg);
      break;
    case 'stopped':
      p.stopped = true;
      break;
    case 'started':
      p.started = true;
      break;
    case 'healthy':
      p.healthy = true;
      break;
    case 'done':
      p.done = true;
      break;
    case 'failed':
      p.failure = arg;
      break;
    case 'recover-forward':
      p.recovered.push({ runId: arg, direction: 'forward' });
      break;
    case 'recover-back':
      p.recovered.push({ runId: arg, direction: 'back' });
      break;
    default:
      return false;
  }
  return true;
}

/** One line on where a host's renewal got to, for a failure report. */
export function stageReached(p: RenewProgress): string {
  if (!p.committed) return p.staged.length > 0 ? 'while staging the new files (before the commit point)' : 'before anything was written';
  if (!p.swapped) return 'while swapping the files in (after the commit point)';
  if (!p.started) return 'while restarting the static pods';
  if (!p.healthy) return 'while waiting for the apiserver to be healthy';
  return 'after the apiserver was healthy';
}
