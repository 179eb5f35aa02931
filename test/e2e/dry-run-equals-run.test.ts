/**
 * DESIGN §1: the dry run is the run, unexecuted. A real run over SSH on test hosts records
 * exactly what the transport is given for each host's `bash -s` (the real SshTransport,
 * wrapped through runHostCommand's transportFor seam; root, so nothing is written before
 * the script on stdin), and that is compared with the dry run's --out files for the same
 * cluster: the CLI's `node init --prep-only --dry-run --out` for the built-in phases, and
 * the same runHostCommand for a pipeline with one more phase whose file holds a secret.
 * Equal byte for byte, apart from `<redacted:NAME>` where the run has the value. The run
 * id is not in the scripts: it travels as their first argument.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Host } from '../../src/cluster/types.js';
import { type HostRunFlags, runHostCommand } from '../../src/run/host-command.js';
import { fileMatches, writeFile } from '../../src/script/files.js';
import { nodeInitPhases } from '../../src/actions/node-init.js';
import { HOSTS, type Phase } from '../../src/run/phase.js';
import { createTransport, noPrompts, type Transport } from '../../src/transport/index.js';
import { runCli } from '../helpers/cli.js';
import { useTestHosts } from '../helpers/e2e.js';
import type { TestFleet } from '../hosts/index.js';

const VERSION = '1.34.2';
const TOKEN = 'abcdef.0123456789abcdef';
const SECRETS = new Map([['bootstrap-token', TOKEN]]);
const TOKEN_FILE = '/etc/k8sprep-test/token.conf';

/** A phase like later issues' (kubeadm configs with tokens): a file whose body holds a secret. */
const tokenPhase: Phase = {
  id: 'token',
  title: 'write the bootstrap token',
  placement: { hosts: HOSTS.targets, order: 'parallel' },
  steps: [
    {
      id: 'token-file',
      title: 'Write the bootstrap token file',
      appliesTo: () => true,
      check: (ctx) => fileMatches({ path: TOKEN_FILE, mode: '600', content: `token: ${ctx.secret('bootstrap-token')}\n` }),
      apply: (ctx) => writeFile({ path: TOKEN_FILE, mode: '600', content: `token: ${ctx.secret('bootstrap-token')}\n` }),
    },
  ],
};
const PHASES = [...nodeInitPhases({ prepOnly: true }), tokenPhase];

interface Sent {
  script: string;
  args: readonly string[];
}

const rig = useTestHosts(
  [
    { name: 'dr1', os: 'centos7' },
    { name: 'dr2', os: 'arch' },
  ],
  { clusterYaml: (f) => f.clusterYaml({ version: VERSION }) },
);
let fleet: TestFleet;
let work: string;
let clusterFile: string;
/** Per host name, every script the real run handed the transport, in order. */
const sent = new Map<string, Sent[]>();
let runId = '';

function flags(extra: Partial<HostRunFlags>): HostRunFlags {
  return {
    config: clusterFile,
    'dry-run': false,
    'show-secrets': false,
    concurrency: 10,
    'accept-new-host-keys': false,
    'ask-pass': false,
    verbose: false,
    json: true,
    ...extra,
  };
}

/** The real SSH transport, recording what it is asked to run. */
function recording(host: Host, _cluster: Cluster): Transport {
  const real = createTransport(host, { acceptNewHostKeys: false, prompts: noPrompts(), home: fleet.home, env: {} });
  const mine: Sent[] = [];
  sent.set(host.name, mine);
  return {
    hostName: real.hostName,
    connect: () => real.connect(),
    close: () => real.close(),
    runScript: (script, args, handlers) => {
      mine.push({ script, args: [...args] });
      return real.runScript(script, args, handlers);
    },
  };
}

/** DIR/<host>/NN-<phase>.sh, in NN order. */
function outFiles(dir: string, host: string): { name: string; text: string }[] {
  return readdirSync(join(dir, host))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, host, name), 'utf8') }));
}

beforeAll(async () => {
  ({ fleet, dir: work, clusterFile } = rig);
  let out = '';
  const code = await runHostCommand(flags({}), () => ({ phases: PHASES, prepare: async () => ({ secrets: SECRETS }) }), {
    transportFor: recording,
    write: (t) => (out += t),
  });
  const summary = JSON.parse(out) as { runId: string; ok: boolean; hosts: { host: string; error?: string }[] };
  expect([code, summary.ok, summary.hosts.map((h) => h.error)]).toEqual([0, true, [undefined, undefined]]);
  runId = summary.runId;
}, 600_000);

test('the run sent every phase to every host, each with the run id as its only argument, and the secret arrived', async () => {
  for (const host of fleet.hosts) {
    const scripts = sent.get(host.name) ?? [];
    expect([host.name, scripts.map((s) => /^# k8sprep phase (\S+)/m.exec(s.script)?.[1])]).toEqual([host.name, ['preflight', 'prep', 'token']]);
    for (const s of scripts) {
      expect(s.args).toEqual([runId]);
      expect(s.script).not.toContain(runId);
    }
    expect(await host.readFile(TOKEN_FILE)).toBe(`token: ${TOKEN}\n`);
  }
});

test('`node init --prep-only --dry-run --out` wrote exactly the bytes the run sent', async () => {
  const out = join(work, 'cli-dry-run');
  const r = await runCli(['node', 'init', '--prep-only', '--dry-run', '--out', out, '-c', clusterFile], { cwd: work, home: fleet.home });
  expect([r.code, r.stderr]).toEqual([0, '']);
  for (const host of fleet.hosts) {
    const files = outFiles(out, host.name);
    expect(files.map((f) => f.name)).toEqual(['01-preflight.sh', '02-prep.sh']);
    const executed = (sent.get(host.name) ?? []).slice(0, 2).map((s) => s.script);
    expect([host.name, files.map((f) => f.text)]).toEqual([host.name, executed]);
  }
});

test('with a secret in the pipeline: equal except at <redacted:NAME>, where the run had the value', async () => {
  const out = join(work, 'secret-dry-run');
  expect(
    await runHostCommand(flags({ 'dry-run': true, out, json: false }), () => ({ phases: PHASES, prepare: async () => ({ secrets: SECRETS }) }), {
      write: () => undefined,
    }),
  ).toBe(0);
  for (const host of fleet.hosts) {
    const files = outFiles(out, host.name);
    const executed = (sent.get(host.name) ?? []).map((s) => s.script);
    expect(files.map((f) => f.name)).toEqual(['01-preflight.sh', '02-prep.sh', '03-token.sh']);
    expect(files).toHaveLength(executed.length);
    files.forEach((f, i) => {
      const dry = f.text.split(/<redacted:([A-Za-z0-9_.-]+)>/);
      // Odd pieces are placeholder names; the run has each one's value there, and only there.
      const expected = dry.map((piece, j) => (j % 2 === 1 ? (SECRETS.get(piece) ?? `<unknown secret ${piece}>`) : piece)).join('');
      expect([host.name, f.name, executed[i]]).toEqual([host.name, f.name, expected]);
      if (f.name === '03-token.sh') {
        expect(dry.filter((_, j) => j % 2 === 1)).toEqual(['bootstrap-token', 'bootstrap-token']);
        expect(f.text).not.toContain(TOKEN);
      } else {
        expect(dry).toHaveLength(1);
      }
    });
  }
});
