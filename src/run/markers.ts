import { FACT_PREFIX, MARKER_PREFIX, NOTE_PREFIX } from '../script/preamble.js';

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

/** A `k8sprep_fact KEY VALUE` line, or undefined. */
export function parseFact(line: string): { key: string; value: string } | undefined {
  const m = FACT.exec(line);
  return m ? { key: m[1] ?? '', value: m[2] ?? '' } : undefined;
}

/** A `k8sprep_note TEXT` line (for the summary), or undefined. */
export function parseNote(line: string): string | undefined {
  return line.startsWith(`${NOTE_PREFIX} `) ? line.slice(NOTE_PREFIX.length + 1) : undefined;
}
