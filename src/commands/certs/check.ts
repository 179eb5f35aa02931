import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BaseCommand } from '../../cli/base.js';
import { configFlag, durationFlagHours, sshHostFlags } from '../../cli/flags.js';
import { requireIdentityFiles } from '../../cluster/identity-files.js';
import { loadClusterFile } from '../../cluster/load.js';
import { InputError } from '../../errors.js';
import { certsCheckRemoteAction } from '../../actions/certs-check-remote.js';
import { checkOutput } from '../../output/pki-check.js';
import { defaultPkiDir, inspectPki } from '../../pki/index.js';
import { detectLayout, inspectDir } from '../../pki/inspect.js';
import { runAction } from '../../run/action.js';
import { newRunId } from '../../run/log.js';
import { selectControlPlanes } from '../../run/plan.js';
import { transportFactory } from '../../run/transports.js';

const remoteOnly = { dependsOn: ['remote'] };

export default class CertsCheck extends BaseCommand {
  static override summary = "Every certificate's expiry, and what is wrong with the PKI";
  static override description =
    'A table like `kubeadm certs check-expiration` per control plane, then the CAs, then every problem: a certificate ' +
    'not signed by its CA, a key that does not match, a missing file, SANs or subjects that no longer match the ' +
    'cluster file (e.g. a changed endpoint). Exit 1 when there is a problem, or when something expires within ' +
    '--warn-within (for cron and monitoring). Without --remote it reads the local PKI directory and contacts no host; ' +
    'with --remote it reads /etc/kubernetes on every control plane over SSH (read-only) and also flags CAs that ' +
    'differ between control planes and renewals left unfinished. --dir also takes a kubeadm /etc/kubernetes tree ' +
    '(e.g. of a cluster built by hand): expiry, chains and keys need no cluster file; the SANs and subjects are ' +
    'compared with one only when -c is given or ./cluster.yaml exists.';
  static override examples = [
    '<%= config.bin %> certs check -c cluster.yaml',
    '<%= config.bin %> certs check --warn-within 30d --json',
    '<%= config.bin %> certs check --remote --warn-within 30d',
    '<%= config.bin %> certs check --dir /etc/kubernetes',
  ];
  static override flags = {
    ...configFlag,
    dir: Flags.string({
      description:
        "k8sprep's PKI directory (with nodes/) or a kubeadm /etc/kubernetes tree (with pki/) [default: .k8sprep/<cluster>/pki beside the cluster file]",
      helpValue: 'DIR',
      exclusive: ['remote'],
    }),
    remote: Flags.boolean({ description: 'read every control plane over SSH instead of the local directory' }),
    hosts: { ...sshHostFlags.hosts, ...remoteOnly, description: 'with --remote: only these control planes (comma-separated names)' },
    'accept-new-host-keys': { ...sshHostFlags['accept-new-host-keys'], ...remoteOnly },
    'ask-pass': { ...sshHostFlags['ask-pass'], ...remoteOnly },
    concurrency: Flags.integer({ description: 'with --remote: hosts read at once (1-500) [default: 10]', min: 1, max: 500, helpValue: 'N', ...remoteOnly }),
    'warn-within': Flags.string({ description: 'exit 1 when anything expires within this duration (e.g. 30d, 720h)', helpValue: 'DURATION' }),
    json: Flags.boolean({ description: 'print the inspection as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsCheck);
    const warnText = flags['warn-within'];
    const warnSeconds = warnText === undefined ? undefined : Math.round(durationFlagHours('warn-within', warnText) * 3600);
    let output;
    if (flags.dir && !flags.remote) {
      const dir = resolve(flags.dir);
      if (!existsSync(dir)) throw InputError.single('--dir', `${dir}: no such directory`);
      const layout = detectLayout(dir);
      if (!layout) {
        const hint = existsSync(join(dir, 'ca.crt')) ? ': it looks like a pki/ directory, give its parent' : '';
        throw InputError.single('--dir', `${dir}: neither k8sprep's PKI directory (with nodes/) nor a kubeadm /etc/kubernetes tree (with pki/)${hint}`);
      }
      // Compared with a cluster file only when one is named, or ./cluster.yaml is there.
      const clusterFile = flags.config ?? (existsSync('cluster.yaml') ? 'cluster.yaml' : undefined);
      const cluster = clusterFile === undefined ? undefined : await loadClusterFile(clusterFile);
      const inspection = await inspectDir(dir, layout, cluster, clusterFile === undefined ? {} : { clusterFile });
      output = checkOutput(inspection, { warnSeconds, warnText, json: flags.json });
    } else {
      const cluster = await loadClusterFile(flags.config ?? 'cluster.yaml');
      const localDir = defaultPkiDir(cluster);
      if (flags.remote) {
        const hosts = selectControlPlanes(cluster, flags.hosts);
        requireIdentityFiles(cluster, hosts);
        const transportFor = await transportFactory(flags);
        if (!flags.json) process.stderr.write(`reading /etc/kubernetes on ${hosts.length} control plane(s) over SSH\n`);
        const action = certsCheckRemoteAction(cluster, hosts, existsSync(localDir) ? { localPkiDir: localDir } : {});
        // Read-only and quick: no run log (nothing in .k8sprep changes).
        const result = await runAction({
          cluster,
          targets: hosts,
          phases: action.phases,
          runId: newRunId(),
          concurrency: flags.concurrency ?? 10,
          display: 'silent',
          secrets: new Map(),
          transportFor: (h) => transportFor(h, cluster),
        });
        const { inspection, errors } = await action.inspect(result);
        output = checkOutput(inspection, { warnSeconds, warnText, json: flags.json, errors });
      } else {
        if (!existsSync(localDir)) throw InputError.single('--dir', `${localDir}: no such directory (run \`k8sprep certs generate\` first, or use --remote)`);
        output = checkOutput(await inspectPki(localDir, cluster), { warnSeconds, warnText, json: flags.json });
      }
    }
    process.stdout.write(output.text);
    if (output.exitCode !== 0) this.exit(output.exitCode);
  }
}
