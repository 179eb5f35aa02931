/**
 * What every host-touching command does after parsing flags: load and check input (all
 * before contacting anything), ask the questions (--ask-pass) before anything else runs,
 * then either print the dry run or execute and summarise. Returns the exit code (0 ok,
 * 1 a host failed, 130 interrupted); input problems throw InputError (2).
 */
import type { Cluster, Host } from '../cluster/types.js';
import { loadClusterFromFlags, requireIdentityFiles, type ClusterSourceFlags } from '../cli/cluster-source.js';
import { InputError } from '../errors.js';
import type { Phase } from '../steps/types.js';
import type { Transport } from '../transport/types.js';
import { emitDryRun } from './dry-run.js';
import { executeHosts } from './executor.js';
import { newRunId, runLogDir } from './log.js';
import { type HostPlan, parseSelection, planHost, selectHosts } from './plan.js';
import { formatSummary, formatVerdict, summaryJson } from './summary.js';
import { detectOs } from './detect-os.js';
import { handleInterrupts, INTERRUPTED_EXIT, type Interrupt } from './interrupt.js';
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
  /** Only errors and the summary's verdict (the lead's runner will take this as a display mode). */
  quiet?: boolean | undefined;
  json: boolean;
}

export interface HostCommandHooks {
  /** Secret values the scripts reference (tokens, keys); empty for preparation. */
  secrets?: ReadonlyMap<string, string>;
  write?: (text: string) => void;
  /** Test seam: the transport for a host (default: SSH, or local for `address: local`). */
  transportFor?: (host: Host, cluster: Cluster) => Transport;
  runId?: string;
  /** Called once every input check has passed (in a real run --ask-pass's answer too: a missing terminal is an input error), before any host is contacted (e.g. a note). */
  onInputValid?: () => void;
}

function checkFlagCombinations(flags: HostRunFlags): void {
  if (flags.out !== undefined && !flags['dry-run']) throw InputError.single('--out', 'only goes with --dry-run');
  if (flags.json && flags['dry-run']) throw InputError.single('--json', 'cannot be combined with --dry-run (the dry run prints scripts)');
}

export async function runHostCommand(flags: HostRunFlags, phases: readonly Phase[], hooks: HostCommandHooks = {}): Promise<number> {
  checkFlagCombinations(flags);
  const cluster = await loadClusterFromFlags(flags);
  const hosts = selectHosts(cluster, flags.hosts);
  const selection = parseSelection(phases, flags.only, flags.skip);
  const secrets = hooks.secrets ?? new Map<string, string>();
  const write = hooks.write ?? ((t: string) => process.stdout.write(t));

  if (flags['dry-run']) {
    hooks.onInputValid?.();
    const undeclared = hosts.filter((h) => !h.os);
    let transportFor = hooks.transportFor;
    if (undeclared.length > 0) {
      if (!flags.quiet) process.stderr.write(`note: connecting to ${undeclared.map((h) => h.name).join(', ')} only to read /etc/os-release (no os: in the cluster file)\n`);
      // Only the --ask-pass question can be cancelled here; reading os-release changes nothing.
      const interrupt = handleInterrupts(() => 'interrupted (Ctrl-C) before any host was contacted');
      try {
        transportFor ??= await transportFactory(flags, interrupt);
      } finally {
        interrupt.dispose();
      }
      if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
    }
    const plans: HostPlan[] = [];
    for (const host of hosts) {
      let os = host.os;
      if (!os && transportFor) {
        const t = transportFor(host, cluster);
        try {
          await t.connect();
          os = await detectOs(t, host);
        } finally {
          await t.close();
        }
      }
      if (os) plans.push(planHost(cluster, host, os, phases, selection));
    }
    const opts: Parameters<typeof emitDryRun>[1] = { write };
    if (flags.out !== undefined) opts.out = flags.out;
    if (flags['show-secrets']) opts.secrets = secrets;
    await emitDryRun(plans, opts);
    return 0;
  }

  requireIdentityFiles(cluster, hosts);

  const runId = hooks.runId ?? newRunId();
  const logDir = runLogDir(cluster.stateDir, runId);
  let running = false;
  const interrupt = handleInterrupts(() =>
    running ? `interrupted (Ctrl-C): ending the scripts still running (Ctrl-C again quits at once); the summary follows (logs: ${logDir})` : 'interrupted (Ctrl-C) before any host was contacted',
  );
  try {
    const transportFor = hooks.transportFor ?? (await transportFactory(flags, interrupt));
    if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
    hooks.onInputValid?.();
    running = true;
    const reports = await executeHosts({
      cluster,
      hosts,
      phases,
      selection,
      runId,
      logDir,
      secrets,
      concurrency: flags.concurrency,
      display: flags.json || flags.quiet ? 'silent' : flags.verbose ? 'lines' : 'live',
      signal: interrupt.signal,
      transportFor: (host) => transportFor(host, cluster),
      ...(flags.verbose && !flags.json
        ? { onOutput: (host: Host, stream: 'stdout' | 'stderr', line: string) => process.stderr.write(`${host.name}${stream === 'stderr' ? '!' : '|'} ${line}\n`) }
        : {}),
    });
    write(flags.json ? `${summaryJson(runId, reports)}\n` : flags.quiet ? `${formatVerdict(reports)}\n` : `\n${formatSummary(reports)}\n`);
    if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
    return reports.every((r) => r.status === 'ok') ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}
