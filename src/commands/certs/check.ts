import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BaseCommand } from '../../cli/base.js';
import { configFlag } from '../../cli/flags.js';
import { durationToHours } from '../../cluster/duration.js';
import { loadClusterFile } from '../../cluster/load.js';
import { InputError } from '../../errors.js';
import { defaultPkiDir, expiringWithin, inspectPki, problemLines, renderInspection } from '../../pki/index.js';

export default class CertsCheck extends BaseCommand {
  static override summary = "Every certificate's expiry, and what is wrong with the PKI";
  static override description =
    'A table like `kubeadm certs check-expiration` per control plane, then the CAs, then every problem: a certificate ' +
    'not signed by its CA, a key that does not match, a missing file, SANs or subjects that no longer match the ' +
    'cluster file (e.g. a changed endpoint). Exit 1 when there is a problem, or when something expires within ' +
    '--warn-within (for cron and monitoring). Contacts no host.';
  static override examples = ['<%= config.bin %> certs check -c cluster.yaml', '<%= config.bin %> certs check --warn-within 30d --json'];
  static override flags = {
    ...configFlag,
    dir: Flags.string({ description: 'PKI directory [default: .k8sprep/<cluster>/pki beside the cluster file]', helpValue: 'DIR' }),
    'warn-within': Flags.string({ description: 'exit 1 when anything expires within this duration (e.g. 30d, 720h)', helpValue: 'DURATION' }),
    json: Flags.boolean({ description: 'print the inspection as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsCheck);
    let warnSeconds: number | undefined;
    if (flags['warn-within'] !== undefined) {
      try {
        warnSeconds = Math.round(durationToHours(flags['warn-within']) * 3600);
      } catch {
        throw InputError.single('--warn-within', `${JSON.stringify(flags['warn-within'])} is not a duration like 30d, 720h or 1h30m`);
      }
    }
    const cluster = await loadClusterFile(flags.config ?? 'cluster.yaml');
    const dir = flags.dir ? resolve(flags.dir) : defaultPkiDir(cluster);
    if (!existsSync(dir)) throw InputError.single('--dir', `${dir}: no such directory (run \`k8sprep certs generate\` first?)`);
    const inspection = await inspectPki(dir, cluster);
    const expiring = warnSeconds === undefined ? [] : expiringWithin(inspection, warnSeconds);
    const problems = problemLines(inspection);
    if (flags.json) {
      const out = {
        ...inspection,
        warnWithinSeconds: warnSeconds ?? null,
        expiring: expiring.map((e) => ({ where: e.where, name: e.status.name, path: e.status.path, notAfter: e.status.notAfter, residualSeconds: e.status.residualSeconds })),
        problems,
        ok: problems.length === 0 && expiring.length === 0,
      };
      this.log(JSON.stringify(out, null, 2));
    } else {
      process.stdout.write(renderInspection(inspection, warnSeconds));
      if (warnSeconds !== undefined) {
        this.log(expiring.length === 0 ? `\nnothing expires within ${flags['warn-within']}` : `\n${expiring.length} certificate(s) expire within ${flags['warn-within']}`);
      }
    }
    if (problems.length > 0 || expiring.length > 0) this.exit(1);
  }
}
