import { MARKER_PREFIX } from '../script/preamble.js';

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
