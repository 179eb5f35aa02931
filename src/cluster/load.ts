/**
 * Reads and validates a cluster file: bytes (size, text) -> YAML (with source positions)
 * -> zod schema -> cross-field rules -> derived Cluster. Every problem is collected and
 * thrown at once as an InputError whose lines read `<file>:<line>:<col>: <path>: <reason>`.
 */
import { relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { deriveCluster } from './derive.js';
import { readClusterFileText } from './file-text.js';
import { formatPath, SourceLocator } from './locate.js';
import { salvageCrossFieldInput } from './salvage.js';
import { clusterFileSchema } from './schema.js';
import type { Cluster, ProblemLocator } from './types.js';
import { crossFieldProblems, type FieldProblem } from './validate.js';

export async function loadClusterFile(path: string): Promise<Cluster> {
  const absolute = resolve(path);
  const inCwd = relative(process.cwd(), absolute);
  // Relative when below the working directory; `-c .` or `-c ..` would be empty or ".."-ish.
  const shown = inCwd === '' || inCwd.startsWith('..') ? absolute : inCwd;
  return parseClusterText(await readClusterFileText(absolute, shown), shown, absolute);
}

/** Parses cluster YAML; `shownName` is used in messages, `absolute` for the state directory. */
export function parseClusterText(text: string, shownName: string, absolute?: string): Cluster {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
        const first = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
        const reason = e.code === 'MULTIPLE_DOCS' ? 'holds more than one YAML document (---); a cluster file is one document' : first;
        return { file: shownName, line: pos.line, col: pos.col, path: 'yaml', reason };
      }),
    );
  }
  const locator = new SourceLocator(doc, lines);
  const locate: ProblemLocator = (problems) =>
    problems
      .map((p) => ({ file: shownName, ...locator.locate(p.locateAt ?? p.path, p.atKey), path: formatPath(p.path), reason: p.reason }))
      .sort((a, b) => a.line - b.line || a.col - b.col);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // e.g. an alias "billion laughs": input, not a crash.
    const reason = /alias/i.test(String(err)) ? 'too many alias (*name) references' : (err as Error).message;
    throw new InputError([{ file: shownName, line: 1, col: 1, path: 'yaml', reason }]);
  }
  return validateClusterObject(raw, locate, absolute);
}

/** Validates a plain object (from YAML or from flags) and derives the Cluster. */
export function validateClusterObject(raw: unknown, locate: ProblemLocator, absolute?: string): Cluster {
  const parsed = clusterFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    // Report the cross-field problems too, from the values that did pass their own schema.
    const problems = [...parsed.error.issues.flatMap(issueToProblems), ...crossFieldProblems(salvageCrossFieldInput(raw))];
    throw new InputError(locate(problems));
  }
  const cross = crossFieldProblems(parsed.data);
  if (cross.length > 0) throw new InputError(locate(cross));
  return deriveCluster(parsed.data, absolute === undefined ? { locate } : { file: absolute, locate });
}

function issueToProblems(issue: z.core.$ZodIssue): FieldProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], reason: `unknown key ${JSON.stringify(key)}`, atKey: true }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path, reason: `is required (${issue.expected})` }];
  }
  if ('input' in issue && issue.input === undefined) {
    // A missing field whose schema has its own message (e.g. an address union).
    return [{ path, reason: 'is required' }];
  }
  if (issue.code === 'invalid_key') {
    // A record key (registry host, sysctl key): the key's own schema message, at the key.
    const inner = issue.issues[0]?.message;
    return [{ path, reason: inner && !/^Invalid/.test(inner) ? inner : `${JSON.stringify(issue.input)} is not a valid key here`, atKey: true }];
  }
  if (issue.code === 'invalid_value' && issue.values.length > 1 && /^Invalid/.test(issue.message)) {
    return [{ path, reason: `${JSON.stringify(issue.input)} is not one of ${issue.values.map(String).join(', ')}` }];
  }
  return [{ path, reason: issue.message.replace(/^Invalid input: /, '') }];
}
