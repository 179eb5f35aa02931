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
import { nodeInitPhases } from '../../src/steps/phases.js';
import { InputError } from '../../src/errors.js';
import { bashSyntax, runBash, unquotedOccurrences } from '../helpers/bash.js';
import { EXAMPLES } from '../helpers/cli.js';

const PWNED = '/tmp/k8sprep-pwned';
const PAYLOADS = [`$(touch ${PWNED})`, `\`touch ${PWNED}\``, `x; touch ${PWNED}`, `x'; touch ${PWNED}; '`, `x\ntouch ${PWNED}`];

type Obj = Record<string, unknown>;
const base = (): Obj => parse(readFileSync(join(EXAMPLES, 'mixed-bastion.yaml'), 'utf8')) as Obj;

/** Field path -> a mutation putting the payload there. Keys of maps are fields too. */
const FIELDS: [string, (o: Obj, v: string) => void][] = [];
function at(path: (string | number)[]): [string, (o: Obj, v: string) => void] {
  return [
    path.join('.'),
    (o, v) => {
      let node = o as Record<string | number, unknown>;
      for (const p of path.slice(0, -1)) {
        node[p] ??= {};
        node = node[p] as Record<string | number, unknown>;
      }
      node[path[path.length - 1]!] = v;
    },
  ];
}
for (const p of [
  ['metadata', 'name'],
  ['spec', 'kubernetes', 'version'],
  ['spec', 'kubernetes', 'imageRepository'],
  ['spec', 'kubernetes', 'podSubnet'],
  ['spec', 'kubernetes', 'serviceSubnet'],
  ['spec', 'kubernetes', 'dnsDomain'],
  ['spec', 'kubernetes', 'proxyMode'],
  ['spec', 'kubernetes', 'cni'],
  ['spec', 'controlPlaneEndpoint', 'host'],
  ['spec', 'controlPlaneEndpoint', 'loadBalancer'],
  ['spec', 'mirrors', 'packages'],
  ['spec', 'firewall'],
  ['spec', 'sysctl', 'net.core.somaxconn'],
  ['spec', 'certificates', 'keyAlgorithm'],
  ['spec', 'certificates', 'caValidity'],
  ['spec', 'ssh', 'user'],
  ['spec', 'ssh', 'identityFile'],
  ['spec', 'ssh', 'passwordEnv'],
  ['spec', 'ssh', 'bastion', 'host'],
  ['spec', 'ssh', 'bastion', 'user'],
  ['spec', 'ssh', 'bastion', 'identityFile'],
  ['spec', 'hosts', 0, 'name'],
  ['spec', 'hosts', 0, 'address'],
  ['spec', 'hosts', 0, 'os'],
  ['spec', 'hosts', 3, 'ssh', 'user'],
  ['spec', 'hosts', 3, 'ssh', 'identityFile'],
] as (string | number)[][]) {
  FIELDS.push(at(p));
}
FIELDS.push(['spec.hosts.0.roles.0', (o, v) => (((o.spec as Obj).hosts as Obj[])[0]!.roles = [v])]);
FIELDS.push(['spec.mirrors.registries.docker.io.0', (o, v) => (((o.spec as Obj).mirrors as Obj).registries = { 'docker.io': [v] })]);
FIELDS.push(['spec.mirrors.registries.<key>', (o, v) => (((o.spec as Obj).mirrors as Obj).registries = { [v]: ['https://m.example.com'] })]);
FIELDS.push(['spec.sysctl.<key>', (o, v) => ((o.spec as Obj).sysctl = { [v]: 1 })]);

/** Local paths, used only on this machine by the SSH client: they may hold anything printable. */
const LOCAL_ONLY = new Set(['spec.ssh.identityFile', 'spec.ssh.bastion.identityFile', 'spec.hosts.3.ssh.identityFile']);

beforeAll(() => rmSync(PWNED, { force: true }));

describe.each(FIELDS.map(([name, set]) => [name, set] as const))('%s', (name, set) => {
  test.each(PAYLOADS.map((p) => [JSON.stringify(p), p] as const))('%s', (_label, payload) => {
    const o = base();
    set(o, payload);
    let cluster;
    try {
      cluster = parseClusterText(stringify(o), 'c.yaml');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // Refused, at this field (for a map key: at that key).
      const field = name.replace(/\.(\d+)(?=\.|$)/g, '[$1]').replace(/\.<key>$/, '.');
      const paths = err.problems.map((p) => p.path);
      expect([name, paths.some((p) => (field.endsWith('.') ? p.startsWith(field) : p === field))]).toEqual([name, true]);
      return;
    }
    // Accepted: only where the value never goes into a script, and newlines never.
    expect([name, LOCAL_ONLY.has(name) && !payload.includes('\n')]).toEqual([name, true]);
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
