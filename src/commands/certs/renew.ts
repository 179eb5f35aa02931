import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { BaseCommand } from '../../cli/base.js';
import { certsRenewAction } from '../../actions/certs-renew.js';
import { configFlag, durationFlagHours, hostRunFlags, sshHostFlags } from '../../cli/flags.js';
import { requireIdentityFiles } from '../../cluster/identity-files.js';
import { loadClusterFile } from '../../cluster/load.js';
import { InputError } from '../../errors.js';
import { formatRenewSummary } from '../../output/renew-summary.js';
import { defaultPkiDir } from '../../pki/index.js';
import { runAction } from '../../run/action.js';
import { DryRunCollector } from '../../run/dry-run.js';
import { handleInterrupts, INTERRUPTED_EXIT } from '../../run/interrupt.js';
import { newRunId, runLogDir } from '../../run/log.js';
import { selectControlPlanes } from '../../run/plan.js';
import { transportFactory } from '../../run/transports.js';

export default class CertsRenew extends BaseCommand {
  static override summary = 'Re-issue every leaf certificate and kubeconfig on the control planes, one at a time';
  static override description =
    'On every control plane (or --hosts), one after the other: read the certificates and kubeconfigs over SSH, ' +
    "re-issue each with the same subject, SANs and usages, a new key and the cluster's certValidity (or --validity), " +
    "signed by the CA (from .k8sprep/<cluster>/pki when it matches the host's, else the host's own, in memory only); " +
    'back up /etc/kubernetes/pki and the kubeconfigs to /var/lib/k8sprep/backup/<run-id>/, swap the files in ' +
    "(atomically, same owner and mode), restart the static pods and wait for the apiserver's /healthz before the " +
    'next host. CAs and sa keys are never touched. A failure stops the roll-out there. An interrupted renewal is ' +
    'finished (forward or back) by the next run. Exit 0 all renewed, 1 a host failed, 2 bad input.';
  static override examples = [
    '<%= config.bin %> certs renew -c cluster.yaml',
    '<%= config.bin %> certs renew --hosts cp2 --validity 8760h',
    '<%= config.bin %> certs renew --dry-run',
  ];
  static override flags = {
    ...configFlag,
    hosts: { ...sshHostFlags.hosts, description: 'only these control planes (comma-separated names)' },
    validity: Flags.string({ description: "lifetime of the new certificates [default: the cluster's certValidity]", helpValue: 'DURATION' }),
    'wait-timeout': Flags.string({ description: 'how long to wait for the static pods to stop, start and be healthy [default: 5m]', helpValue: 'DURATION' }),
    'dry-run': Flags.boolean({ description: 'read the hosts (read-only) and print the scripts instead of running them' }),
    out: Flags.string({ description: 'with --dry-run: write DIR/<host>/<NN>-<phase>.sh instead of printing', helpValue: 'DIR', dependsOn: ['dry-run'] }),
    'show-secrets': Flags.boolean({ description: 'with --dry-run: show the new keys and certificates instead of <redacted:NAME>', dependsOn: ['dry-run'] }),
    'accept-new-host-keys': sshHostFlags['accept-new-host-keys'],
    'ask-pass': sshHostFlags['ask-pass'],
    verbose: hostRunFlags.verbose,
    quiet: sshHostFlags.quiet,
    json: Flags.boolean({ description: 'print the summary as JSON', exclusive: ['dry-run'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsRenew);
    const cluster = await loadClusterFile(flags.config ?? 'cluster.yaml');
    const validityHours = flags.validity === undefined ? cluster.certificates.certValidityHours : durationFlagHours('validity', flags.validity);
    if (validityHours < 1) throw InputError.single('--validity', 'must be at least 1h');
    const waitSeconds = Math.round(durationFlagHours('wait-timeout', flags['wait-timeout'] ?? '5m') * 3600);
    if (waitSeconds < 1) throw InputError.single('--wait-timeout', 'must be at least 1s');
    const hosts = selectControlPlanes(cluster, flags.hosts);
    requireIdentityFiles(cluster, hosts);

    const runId = newRunId();
    const dryRun = flags['dry-run'];
    const interrupt = handleInterrupts(
      () =>
        'interrupted (Ctrl-C): ending the running script; a host past its commit point finishes its renewal by itself (or at the next certs renew); the summary follows (Ctrl-C again quits at once)',
    );
    // --json and --quiet print no progress; --quiet ends with the failures and the verdict only.
    const quiet = flags.json || flags.quiet;
    if (dryRun) process.stderr.write('note: the dry run reads /etc/kubernetes on each control plane (read-only) to plan the renewal; it writes nothing\n');
    try {
      const factory = await transportFactory(flags, interrupt);
      if (interrupt.signal.aborted) this.exit(INTERRUPTED_EXIT);
      const localPkiDir = defaultPkiDir(cluster);
      const action = certsRenewAction(cluster, hosts, {
        runId,
        validityHours,
        waitSeconds,
        dryRun,
        localPkiDir: existsSync(localPkiDir) ? localPkiDir : undefined,
      });
      const collector = dryRun ? new DryRunCollector(true) : undefined;
      await runAction({
        cluster,
        targets: hosts,
        phases: action.phases,
        runId,
        concurrency: 1,
        display: 'silent',
        secrets: new Map(),
        logDir: dryRun ? undefined : runLogDir(cluster.stateDir, runId),
        dryRun: collector,
        transportFor: (host) => factory(host, cluster),
        signal: interrupt.signal,
        onProgress: (host, m) => quiet || process.stderr.write(`[${host.name}] ${m}\n`),
        ...(flags.verbose && !quiet ? { onOutput: (host, _stream, line) => process.stderr.write(`${host.name}| ${line}\n`) } : {}),
      });
      await collector?.emit(hosts, { out: flags.out, showSecrets: flags['show-secrets'], write: (t) => process.stdout.write(t) });
      const summary = action.summary();
      const failures = summary.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: FAILED in ${h.failedStep ?? '?'}: ${h.error ?? 'failed'}\n`);
      const full = formatRenewSummary(summary);
      const text = flags.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : flags.quiet
          ? `${failures.join('')}${full.trimEnd().split('\n').at(-1) ?? ''}\n`
          : full;
      // A dry run's stdout is the scripts alone.
      (dryRun ? process.stderr : process.stdout).write(dryRun || flags.quiet ? text : `\n${text}`);
      if (interrupt.signal.aborted) this.exit(INTERRUPTED_EXIT);
      if (!summary.ok) this.exit(1);
    } finally {
      interrupt.dispose();
    }
  }
}
