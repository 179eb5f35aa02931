import { FACT_PREFIX, MARKER_PREFIX } from '../script/preamble.js';

export type MarkerStatus = 'begin' | 'unchanged' | 'changed' | 'failed';
export interface Marker {
  step: string;
  status: MarkerStatus;
}

const MARKER = new RegExp(`^${MARKER_PREFIX.replace(/[:]/g, '\\:')} ([a-z0-9-]+) (begin|unchanged|changed|failed)$`);

/** A marker line from a host script, or undefined for ordinary output. */
export function parseMarker(line: string): Marker | undefined {
  const m = MARKER.exec(line);
  return m ? { step: m[1] ?? '', status: m[2] as MarkerStatus } : undefined;
}

const FACT = new RegExp(`^${FACT_PREFIX} ([A-Za-z0-9_.-]+) ?(.*)$`);

/**
 * The runner records when each fact line arrived, as fact `<KEY>_received` (epoch seconds
 * on this machine): hosts run at different moments (--concurrency batches, slow bastions),
 * so a host's clock can only be compared through its offset from one reference clock.
 */
export function receivedKey(key: string): string {
  return `${key}_received`;
}

/** A `k8sprep_fact KEY VALUE` line, or undefined. */
export function parseFact(line: string): { key: string; value: string } | undefined {
  const m = FACT.exec(line);
  return m ? { key: m[1] ?? '', value: m[2] ?? '' } : undefined;
}
