/**
 * `$(touch /tmp/k8sprep-pwned)` (and friends) anywhere in a cluster file is either refused
 * by validation, at that field, or never reaches a script: the rendered scripts pass
 * `bash -n`, hold the text only inside single quotes / quoted heredocs (if at all), and
 * their read-only check functions run without creating the file.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseClusterText } from '../../src/cluster/load.js';
import { dryRunBytes } from '../../src/run/dry-run.js';
import { planHost } from '../../src/run/plan.js';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { InputError } from '../../src/errors.js';
import { bashSyntax, runBash, unquotedOccurrences } from '../helpers/bash.js';
import { EXAMPLES } from '../helpers/cli.js';
import { injectionFields, namesField, type Obj, PAYLOADS, PWNED } from '../helpers/injection-fields.js';

const base = (): Obj => parse(readFileSync(join(EXAMPLES, 'mixed-bastion.yaml'), 'utf8')) as Obj;
// Host 3 of mixed-bastion has its own ssh: block.
const FIELDS = injectionFields(3);

beforeAll(() => rmSync(PWNED, { force: true }));

describe.each(FIELDS.map((f) => [f.name, f] as const))('%s', (name, field) => {
  test.each(PAYLOADS.map((p) => [JSON.stringify(p), p] as const))('%s', (_label, payload) => {
    const o = base();
    field.set(o, payload);
    let cluster;
    try {
      cluster = parseClusterText(stringify(o), 'c.yaml');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // Refused, at this field (for a map key: at that key).
      expect([name, err.problems.some((p) => namesField(field, p.path ?? ''))]).toEqual([name, true]);
      return;
    }
    // Accepted: only where the value never goes into a script, and newlines never.
    expect([name, field.localOnly && !payload.includes('\n')]).toEqual([name, true]);
    for (const host of cluster.hosts) {
      for (const s of planHost(cluster, host, host.os ?? 'centos7', nodeInitPhases({ prepOnly: true }), {}).scripts) {
        const text = dryRunBytes(s.text, undefined);
        expect(bashSyntax(text).status).toBe(0);
        expect(unquotedOccurrences(text, 'k8sprep-pwned')).toEqual([]);
      }
    }
  });
});

test('the refusals name the field', () => {
  const o = base();
  ((o.spec as Obj).hosts as Obj[])[0]!.name = `$(touch ${PWNED})`;
  ((o.spec as Obj).kubernetes as Obj).dnsDomain = `$(touch ${PWNED})`;
  expect(() => parseClusterText(stringify(o), 'c.yaml')).toThrow(InputError);
  try {
    parseClusterText(stringify(o), 'c.yaml');
  } catch (err) {
    expect((err as InputError).problems.map((p) => p.path)).toEqual(['spec.kubernetes.dnsDomain', 'spec.hosts[0].name']);
  }
});

test("the scripts' check functions run for real and create nothing", () => {
  const o = base();
  ((o.spec as Obj).ssh as Obj).identityFile = `~/$(touch ${PWNED})`;
  const cluster = parseClusterText(stringify(o), 'c.yaml');
  for (const host of cluster.hosts) {
    for (const s of planHost(cluster, host, host.os ?? 'centos7', nodeInitPhases({ prepOnly: true }), {}).scripts) {
      // Everything but the final `k8sprep_main` call, then every (read-only) check.
      const text = dryRunBytes(s.text, undefined).replace(/k8sprep_main <\/dev\/null\n$/, '');
      const checks = s.steps.map((st) => `k8sprep_step_${st.id.replace(/-/g, '_')}_check || true`).join('\n');
      const r = runBash(`${text}\n${checks}\n`, ['check-only']);
      expect([host.name, r.status]).toEqual([host.name, 0]);
    }
  }
  expect(existsSync(PWNED)).toBe(false);
});

afterAll(() => {
  expect(existsSync(PWNED)).toBe(false);
});
