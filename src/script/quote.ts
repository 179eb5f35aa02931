/**
 * The one shell-quoting function. Every dynamic value that reaches a script goes
 * through here (or is written as a file body via a quoted heredoc), so no value from
 * the cluster file is ever interpreted by the shell.
 */
import { OptionLikeValueError } from '../errors.js';

/**
 * Quotes `value` as one shell word. A value starting with `-` is refused: quoting stops
 * the shell, not the command, from reading it, so `rm ${shq(x)}` with x = `-rf` would
 * still be an option. Refusing makes option injection impossible by construction;
 * `--`-protecting inside shq cannot, because `--` is one more word that changes the
 * meaning wherever the value is data rather than an operand (printf arguments, function
 * arguments, `key=value` words) and is not understood by every command. So options are
 * written as literal script text, never passed through here, and values from the cluster
 * file are validated to shapes that cannot start with `-` (a sysctl value, which can be
 * negative, travels inside a `key=value` word).
 */
export function shq(value: string | number): string {
  const s = String(value);
  if (s.startsWith('-')) throw new OptionLikeValueError(s);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote each word and join with spaces: `shqAll(['a b', 'c'])` -> `'a b' c`. */
export function shqAll(values: readonly (string | number)[]): string {
  return values.map(shq).join(' ');
}
