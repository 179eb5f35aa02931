/**
 * What the node commands do after parsing flags: load and check input (all before contacting
 * anything), prepare what the action needs locally, ask the questions (--ask-pass) before
 * anything else runs, then run the action — for real, or as a dry run that prints the scripts —
 * and print the summary. Returns the exit code (0 ok, 1 a host failed, 130 interrupted); input
 * problems throw InputError (2).
 */
import type { Cluster, Host } from '../cluster/types.js';
import { type ClusterSourceFlags, loadClusterFromFlags } from '../cluster/from-flags.js';
import { requireIdentityFiles } from '../cluster/identity-files.js';
import { InputError } from '../errors.js';
import type { BootstrapInputs } from '../steps/types.js';
import type { Transport } from '../transport/types.js';
import { runAction } from './action.js';
import { DryRunCollector } from './dry-run.js';
import { handleInterrupts, INTERRUPTED_EXIT } from './interrupt.js';
import { newRunId, runLogDir } from './log.js';
import type { Phase } from './phase.js';
import { parseSelection, selectHosts } from './plan.js';
import { formatSummary, formatVerdict, summaryJson } from '../output/host-summary.js';
import { transportFactory } from './transports.js';

export interface HostRunFlags extends ClusterSourceFlags {
  hosts?: string | undefined;
  'dry-run': boolean;
  out?: string | undefined;
  'show-secrets': boolean;
  concurrency: number;
  only?: string | undefined;
  skip?: string | undefined;
  'accept-new-host-keys': boolean;
  'ask-pass': boolean;
  verbose: boolean;
  /** Only errors and the summary's verdict. */
  quiet?: boolean | undefined;
  json: boolean;
}

/** What a command runs: its phases, and how to make what they need locally. */
export interface ActionPlan {
  phases: readonly Phase[];
  /** Every host the action may contact, when more than the hosts named (node join reads the cluster's). */
  contacts?: readonly Host[];
  /**
   * Runs once every input check passed and every question was answered, before any host is
   * contacted (in a dry run too): local state such as the PKI; returns the secret values the
   * scripts reference and the state they render from.
   */
  prepare?: () => Promise<{ secrets: ReadonlyMap<string, string>; bootstrap?: BootstrapInputs }>;
}

export interface HostCommandHooks {
  write?: (text: string) => void;
  /** Test seam: the transport for a host (default: SSH, or local for `address: local`). */
  transportFor?: (host: Host, cluster: Cluster) => Transport;
  runId?: string;
  /**
   * Called once every input check has passed (in a real run --ask-pass's answer too: a missing
   * terminal is an input error), before any host is contacted (e.g. a note).
   */
  onInputValid?: () => void;
  /**
   * A real run's last word before anything is asked or contacted (node reset's confirmation):
   * throws InputError to refuse (exit 2), resolves false when the operator said no.
   */
  confirm?: (cluster: Cluster, hosts: readonly Host[]) => Promise<boolean>;
}

function checkFlagCombinations(flags: HostRunFlags): void {
  if (flags.out !== undefined && !flags['dry-run']) throw InputError.single('--out', 'only goes with --dry-run');
  if (flags.json && flags['dry-run']) throw InputError.single('--json', 'cannot be combined with --dry-run (the dry run prints scripts)');
}

/** `plan` builds the action from the valid cluster and the hosts named (it must not touch anything). */
export async function runHostCommand(
  flags: HostRunFlags,
  plan: (cluster: Cluster, hosts: readonly Host[]) => ActionPlan,
  hooks: HostCommandHooks = {},
): Promise<number> {
  checkFlagCombinations(flags);
  const cluster = await loadClusterFromFlags(flags);
  const hosts = selectHosts(cluster, flags.hosts);
  const action = plan(cluster, hosts);
  const selection = parseSelection(action.phases, flags.only, flags.skip);
  const write = hooks.write ?? ((t: string) => process.stdout.write(t));
  const dryRun = flags['dry-run'];
  if (!dryRun) requireIdentityFiles(cluster, action.contacts ?? hosts);
  if (!dryRun && hooks.confirm && !(await hooks.confirm(cluster, hosts))) {
    process.stderr.write('nothing was changed\n');
    return 1;
  }
  const runId = hooks.runId ?? newRunId();
  const logDir = runLogDir(cluster.stateDir, runId);
  let running = false;
  const interrupt = handleInterrupts(() =>
    running
      ? `interrupted (Ctrl-C): ending the scripts still running (Ctrl-C again quits at once); the summary follows (logs: ${logDir})`
      : 'interrupted (Ctrl-C) before any host was contacted',
  );
  try {
    const undeclared = hosts.filter((h) => !h.os);
    let transportFor = hooks.transportFor;
    if (!dryRun || undeclared.length > 0) {
      if (dryRun && !flags.quiet)
        process.stderr.write(`note: connecting to ${undeclared.map((h) => h.name).join(', ')} only to read /etc/os-release (no os: in the cluster file)\n`);
      transportFor ??= await transportFactory(flags, interrupt);
      if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
    }
    hooks.onInputValid?.();
    const { secrets, bootstrap } = (await action.prepare?.()) ?? { secrets: new Map<string, string>() };
    running = true;
    const collector = dryRun ? new DryRunCollector() : undefined;
    const result = await runAction({
      cluster,
      targets: hosts,
      phases: action.phases,
      selection,
      runId,
      concurrency: flags.concurrency,
      display: flags.json || flags.quiet ? 'silent' : flags.verbose ? 'lines' : 'live',
      secrets,
      bootstrap,
      logDir: dryRun ? undefined : logDir,
      dryRun: collector,
      transportFor: transportFor && ((host) => transportFor(host, cluster)),
      signal: interrupt.signal,
      ...(flags.verbose && !flags.json && !flags.quiet
        ? {
            onOutput: (host: Host, stream: 'stdout' | 'stderr', line: string) =>
              process.stderr.write(`${host.name}${stream === 'stderr' ? '!' : '|'} ${line}\n`),
          }
        : {}),
    });
    if (collector) {
      const failed = result.hosts.filter((r) => r.status === 'failed');
      await collector.emit(
        cluster.hosts.filter((h) => hosts.includes(h)),
        { out: flags.out, showSecrets: flags['show-secrets'], write },
      );
      for (const r of failed) process.stderr.write(`${r.host}: ${r.error ?? 'failed'}\n`);
      return failed.length > 0 ? 1 : 0;
    }
    write(flags.json ? `${summaryJson(runId, result)}\n` : flags.quiet ? `${formatVerdict(result.hosts)}\n` : `\n${formatSummary(result.hosts)}\n`);
    if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
    return result.hosts.every((r) => r.status === 'ok') && result.phases.every((p) => p.status !== 'failed') ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}
