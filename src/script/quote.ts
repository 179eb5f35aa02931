/**
 * The one shell-quoting function. Every dynamic value that reaches a script goes
 * through here (or is written as a file body via a quoted heredoc), so no value from
 * the cluster file is ever interpreted by the shell.
 */
export function shq(value: string | number): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote each word and join with spaces: `shqAll(['a b', 'c'])` -> `'a b' c`. */
export function shqAll(values: readonly (string | number)[]): string {
  return values.map(shq).join(' ');
}
