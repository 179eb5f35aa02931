/**
 * `$(touch /tmp/k8sprep-pwned)` in every cluster-file string field, through the real CLI
 * against test hosts: each field either refuses it (exit 2, a line naming that field,
 * nothing contacted) or — the local identityFile paths, which never reach a script — takes
 * it as the path it is and runs for real over SSH (through a bastion for the bastion's key).
 * Afterwards the file exists neither on this machine nor on any host.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { HostReport } from '../../src/run/report.js';
import { runCli } from '../helpers/cli.js';
import { useTestHosts } from '../helpers/e2e.js';
import { injectionFields, namesField, type Obj, PWNED } from '../helpers/injection-fields.js';
import type { TestFleet } from '../hosts/index.js';

const VERSION = '1.34.2';
const PAYLOAD = `$(touch ${PWNED})`;
// The second host gets the per-host ssh: fields.
const FIELDS = injectionFields(1);

const rig = useTestHosts([
  { name: 'inj1', os: 'centos7' },
  { name: 'inj2', os: 'arch' },
]);
let fleet: TestFleet;
let work: string;

beforeAll(() => {
  rmSync(PWNED, { force: true });
  ({ fleet, dir: work } = rig);
  // The payload, read as a relative path, names a real key file: cwd/"$(touch "/tmp/"k8sprep-pwned)".
  const keyPath = resolve(work, PAYLOAD);
  mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
  copyFileSync(join(fleet.home, '.ssh', 'id_ed25519'), keyPath);
});

function clusterWith(set: (o: Obj) => void, name: string): string {
  const o = parse(fleet.clusterYaml({ version: VERSION })) as Obj;
  // Bastion fields need a bastion to belong to: the first host, which can reach both.
  const spec = o.spec as Obj;
  if (name.startsWith('spec.ssh.bastion.')) ((spec.ssh ??= {}) as Obj).bastion = { host: fleet.hosts[0]!.address };
  set(o);
  const file = join(work, 'cluster.yaml');
  writeFileSync(file, stringify(o));
  return file;
}

async function callCounts(): Promise<number[]> {
  return Promise.all(fleet.hosts.map(async (h) => (await h.calls()).length));
}

describe.each(FIELDS.filter((f) => !f.localOnly).map((f) => [f.name, f] as const))('%s', (name, field) => {
  test('refused at the field, exit 2, nothing contacted', async () => {
    const before = await callCounts();
    const file = clusterWith((o) => field.set(o, PAYLOAD), name);
    const r = await runCli(['node', 'init', '--prep-only', '-c', file], { cwd: work, home: fleet.home });
    expect([name, r.code, r.stdout]).toEqual([name, 2, '']);
    const paths = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(': ')[1] ?? l);
    expect([name, paths.some((p) => namesField(field, p))]).toEqual([name, true]);
    expect(await callCounts()).toEqual(before);
  });
});

describe.each(FIELDS.filter((f) => f.localOnly).map((f) => [f.name, f] as const))('%s (a local path)', (name, field) => {
  test('used as the key file it names: the run works over SSH, nothing executes', async () => {
    const file = clusterWith((o) => field.set(o, PAYLOAD), name);
    const r = await runCli(['node', 'init', '--prep-only', '--json', '--only', 'swap', '-c', file], { cwd: work, home: fleet.home });
    const summary = JSON.parse(r.stdout || '{}') as { hosts?: HostReport[] };
    expect([name, r.code, summary.hosts?.map((h) => [h.host, h.status, h.error])]).toEqual([
      name,
      0,
      [
        ['inj1', 'ok', undefined],
        ['inj2', 'ok', undefined],
      ],
    ]);
  }, 120_000);
});

test('/tmp/k8sprep-pwned exists nowhere: not here, not on any host', async () => {
  expect(existsSync(PWNED)).toBe(false);
  for (const host of fleet.hosts) expect([host.name, await host.exists(PWNED)]).toEqual([host.name, false]);
});
