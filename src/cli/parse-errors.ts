/**
 * oclif's flag-parsing failures as k8sprep input errors: one `--flag: reason` line each
 * (DESIGN §1 "invalid input"), instead of oclif's multi-line ` ›   Error:` block. oclif
 * throws several shapes (CLIParseError subclasses with `.parse`, plain CLIErrors, and the
 * flag's own parse error wrapped as "Parsing --flag"), so this reads their messages.
 */
import { InputError, type InputProblem } from '../errors.js';

type ParseFailure = Error & { flags?: unknown; args?: unknown };

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Rewrites one oclif message line; undefined when it is not one k8sprep knows. */
function fromLine(line: string): InputProblem | undefined {
  const rules: [RegExp, (m: RegExpExecArray) => InputProblem][] = [
    [/^Flag --([\w-]+) expects a value$/, (m) => ({ path: `--${m[1]}`, reason: 'needs a value' })],
    [/^Flag --([\w-]+) expects one of these values: (.*)$/, (m) => ({ path: `--${m[1]}`, reason: `needs a value, one of ${m[2]}` })],
    [/^Flag --([\w-]+) can only be specified once$/, (m) => ({ path: `--${m[1]}`, reason: 'is given more than once' })],
    [/^Expected --([\w-]+)=(.*) to be one of: (.*)$/, (m) => ({ path: `--${m[1]}`, reason: `${JSON.stringify(m[2])} is not one of ${m[3]}` })],
    [/^--([\w-]+)(?:=.*)? cannot also be provided when using --([\w-]+)$/, (m) => ({ path: `--${m[2]}`, reason: `cannot be combined with --${m[1]}` })],
    [/^All of the following must be provided when using --([\w-]+): (.*)$/, (m) => ({ path: `--${m[1]}`, reason: `needs ${m[2]}` })],
    [/^Missing required flag:?\s*-*([\w-]+)/, (m) => ({ path: `--${m[1]}`, reason: 'is required' })],
  ];
  for (const [re, make] of rules) {
    const m = re.exec(line.trim());
    if (m) return make(m);
  }
  return undefined;
}

/** The input problems in an error thrown by oclif's parser (never throws itself). */
function parseFailureProblems(err: ParseFailure): InputProblem[] {
  const message = err.message ?? String(err);
  if (Array.isArray(err.flags) && /^Nonexistent flag/.test(message)) {
    return err.flags.map((f) => ({ path: String(f).replace(/=.*$/s, ''), reason: 'unknown flag (see --help)' }));
  }
  if (Array.isArray(err.args) && /^Unexpected argument/.test(message)) {
    return err.args.map((a) => ({ path: JSON.stringify(String(a)), reason: 'unexpected argument: this command takes flags only (see --help)' }));
  }
  // A flag's own parser (e.g. integer bounds), wrapped: "Parsing --concurrency \n\t<reason>\nSee more help with --help".
  const wrapped = /^Parsing --([\w-]+)\s*\n\s*(.*)/.exec(message);
  if (wrapped) return [{ path: `--${wrapped[1]}`, reason: lowerFirst((wrapped[2] ?? '').trim()) }];
  // Validation failures list one reason per line under "The following error(s) occurred:".
  const lines = message
    .split('\n')
    // eslint-disable-next-line no-control-regex -- oclif's messages carry ANSI colour codes
    .map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').trim())
    .filter((l) => l !== '' && !/^The following errors? occurred:$/.test(l) && !/^See more help with --help$/.test(l));
  const known = lines.map(fromLine);
  if (known.length > 0 && known.every((p) => p !== undefined)) return known;
  return [{ path: 'flags', reason: lines[0] ?? message }];
}

export function parseFailure(err: unknown): InputError {
  if (err instanceof InputError) return err;
  return new InputError(parseFailureProblems(err instanceof Error ? err : new Error(String(err))));
}
