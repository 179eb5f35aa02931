import { DURATION } from './shapes.js';

const UNIT_HOURS: Record<string, number> = { d: 24, h: 1, m: 1 / 60, s: 1 / 3600 };

/** `87600h`, `365d`, `1h30m` -> hours. Input already matched the schema's DURATION shape. */
export function durationToHours(text: string): number {
  if (!DURATION.test(text)) throw new Error(`not a duration: ${text}`);
  let hours = 0;
  for (const m of text.matchAll(/(\d+)([dhms])/g)) hours += Number(m[1]) * (UNIT_HOURS[m[2] ?? 'h'] ?? 0);
  return hours;
}
