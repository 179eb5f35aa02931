/** The one quoting function (src/script/quote.ts), checked against real bash. */
import { existsSync } from 'node:fs';
import { parseClusterText } from '../../src/cluster/load.js';
import { OptionLikeValueError } from '../../src/errors.js';
import { stepContext } from '../../src/run/plan.js';
import { shq, shqAll } from '../../src/script/quote.js';
import { sysctlSettings, sysctlStep } from '../../src/steps/sysctl.js';
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
  'a=b',
  'a-',
  'x --force',
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

test('every printable ASCII character, alone and inside a word (but never leading a `-`)', () => {
  const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => c !== '-');
  const values = [...chars, ...chars.map((c) => `a${c}b`), ...chars.map((c) => `${c}x`), 'a-b', 'x-'];
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

describe('option-like values are refused (option injection is impossible by construction)', () => {
  test.each(['-rf', '-', '--', '--force', '-n', '--kubernetes-version', '- x', '-1'])('%j', (value) => {
    expect(() => shq(value)).toThrow(OptionLikeValueError);
    expect(() => shqAll(['ok', value])).toThrow(OptionLikeValueError);
  });

  test('also as a number, and the error names the value', () => {
    expect(() => shq(-1)).toThrow(new OptionLikeValueError('-1'));
    expect(new OptionLikeValueError('-rf').message).toBe('refusing to quote "-rf" into a script: it starts with "-", so a command would read it as an option');
  });

  test('why refusing matters: quoting alone does not stop a command from reading an option', () => {
    // `'-n'` is quoted for the shell, yet echo still takes it as its option and prints nothing.
    expect(runBash("echo '-n'").stdout).toBe('');
  });

  test('a negative sysctl value still reaches the check, inside its key=value word', () => {
    const cluster = parseClusterText(
      `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: q}
spec:
  kubernetes: {version: "1.30.6"}
  sysctl: {kernel.perf_event_paranoid: -1, net.ipv4.tcp_rmem: "-4096 87380"}
  hosts:
    - {name: a, address: 10.1.0.1, roles: [control-plane], os: arch}
`,
      'q.yaml',
    );
    const ctx = stepContext(cluster, cluster.hosts[0]!, 'arch');
    const kernel = (overrides: Record<string, string>) =>
      sysctlSettings(cluster)
        .map(([k, v]) => `${k}\t${(overrides[k] ?? v).replace(/ /g, '\t')}`)
        .join('\n');
    // A kernel that holds `values` (tab-separated, as /proc prints them); the file comparison is not under test here.
    const check = (values: string) =>
      runBash(
        [
          `sysctl() { [ "$1" = -n ] && printf '%s\\n' ${shq(values)} | awk -F '\\t' -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); gsub(/ /, "\\t"); print }'; }`,
          'k8sprep_file_matches() { cat >/dev/null; }',
          sysctlStep.helpers!(ctx),
          `check() {\n${sysctlStep.check(ctx)}\n}`,
          'check',
        ].join('\n'),
      ).status;
    expect(check(kernel({}))).toBe(0);
    expect(check(kernel({ 'kernel.perf_event_paranoid': '2' }))).toBe(1);
    expect(check(kernel({ 'net.ipv4.tcp_rmem': '4096 87380' }))).toBe(1);
  });
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
