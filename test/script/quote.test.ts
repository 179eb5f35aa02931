/** The one quoting function (src/script/quote.ts), checked against real bash. */
import { existsSync } from 'node:fs';
import { shq, shqAll } from '../../src/script/quote.js';
import { runBash, unquotedOccurrences } from '../helpers/bash.js';

const NASTY = [
  '',
  ' ',
  "it's",
  "'",
  "''",
  '"',
  'a "b" c',
  '$(touch /tmp/k8sprep-pwned)',
  '`touch /tmp/k8sprep-pwned`',
  '${HOME}',
  '$HOME',
  '$',
  'line1\nline2',
  '\n',
  'tab\there',
  '*',
  '/etc/*',
  '?',
  '[a-z]',
  '{a,b}',
  '~',
  '~root',
  'a;b',
  'a && b',
  'a|b',
  'a > /tmp/k8sprep-pwned',
  '# not a comment',
  '\\',
  'back\\slash\\',
  '!',
  '!!',
  '-n',
  '--',
  'a=b',
  'üñî©ødé',
  "'; touch /tmp/k8sprep-pwned; '",
  '\'"\'"$(`x`)"\'',
  '\r',
];

/** Each value spliced into a script through shq, printed back by bash, NUL-separated. */
function roundTrip(values: readonly string[]): string[] {
  const script = values.map((v) => `printf '%s\\0' ${shq(v)}`).join('\n');
  const r = runBash(script);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

test('nasty strings survive bash unchanged', () => {
  expect(roundTrip(NASTY)).toEqual(NASTY);
  expect(existsSync('/tmp/k8sprep-pwned')).toBe(false);
});

test('every printable ASCII character, alone and inside a word', () => {
  const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
  const values = [...chars, ...chars.map((c) => `a${c}b`), ...chars.map((c) => `${c}x`)];
  expect(roundTrip(values)).toEqual(values);
});

test('the same through `bash -c \'printf %s "$1"\'` as an argument word', () => {
  for (const v of NASTY) {
    const r = runBash(`bash -c 'printf %s "$1"' _ ${shq(v)}`);
    expect([v, r.stdout]).toEqual([v, v]);
  }
});

test('safe words stay bare; everything else is single-quoted', () => {
  expect(shq('net.ipv4.ip_forward')).toBe('net.ipv4.ip_forward');
  expect(shq('/etc/sysctl.d/99-k8s.conf')).toBe('/etc/sysctl.d/99-k8s.conf');
  expect(shq(644)).toBe('644');
  expect(shq('')).toBe("''");
  expect(shq('4096 12582912 16777216')).toBe("'4096 12582912 16777216'");
  expect(shq("it's")).toBe("'it'\\''s'");
  expect(shq('~')).toBe("'~'");
  expect(shq('$(x)')).toBe("'$(x)'");
  expect(shqAll(['a b', 'c', ''])).toBe("'a b' c ''");
});

describe('the quoting scanner the injection tests rely on', () => {
  test.each([
    ['echo $(x)', 1],
    ['echo "$(x)"', 1],
    ["echo '$(x)'", 0],
    ["echo 'a'\\''$(x)'", 0],
    ['# echo $(x)', 0],
    ["cat <<'EOF'\n$(x)\nEOF\necho ok", 0],
    ['cat <<EOF\n$(x)\nEOF', 1],
    ["cat <<'EOF' || return 1\na\nEOF\necho $(x)", 1],
  ])('%j: %d unquoted', (script, n) => {
    expect(unquotedOccurrences(script, '$(x)')).toHaveLength(n);
  });
});
