import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { BaseCommand } from '../../cli/base.js';
import { configFlag } from '../../cli/flags.js';
import { loadClusterFile } from '../../cluster/load.js';
import { defaultPkiDir, generatePki, PkiError } from '../../pki/index.js';

export default class CertsGenerate extends BaseCommand {
  static override summary = "Write the cluster's kubeadm-compatible PKI to a local directory";
  static override description =
    'DIR/ holds the CAs (ca, front-proxy-ca, etcd/ca) and sa.key/sa.pub; DIR/nodes/<host>/ holds a complete ' +
    '/etc/kubernetes tree (pki/ and the kubeconfigs) for every control plane. Idempotent: CAs and sa keys are ' +
    'never replaced; leaves are kept while valid and matching the cluster file, otherwise re-issued. Contacts no host.';
  static override examples = ['<%= config.bin %> certs generate -c examples/ha-centos7.yaml', '<%= config.bin %> certs generate --dir /tmp/pki'];
  static override flags = {
    ...configFlag,
    dir: Flags.string({ description: 'PKI directory [default: .k8sprep/<cluster>/pki beside the cluster file]', helpValue: 'DIR' }),
    verbose: Flags.boolean({ char: 'v', description: 'also list the files that were kept' }),
    json: Flags.boolean({ description: 'print the report as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsGenerate);
    const cluster = await loadClusterFile(flags.config ?? 'cluster.yaml');
    const dir = flags.dir ? resolve(flags.dir) : defaultPkiDir(cluster);
    let report;
    try {
      report = await generatePki(cluster, dir);
    } catch (err) {
      if (!(err instanceof PkiError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      return this.exit(1);
    }
    if (flags.json) {
      this.log(JSON.stringify(report, null, 2));
      return;
    }
    this.log(`PKI for cluster ${cluster.name} (${cluster.controlPlanes.length} control plane(s)) in ${dir}`);
    for (const f of report.files) {
      if (f.action === 'kept' && !flags.verbose) continue;
      this.log(`  ${f.action.padEnd(8)} ${f.path}${f.reason ? `  (${f.reason})` : ''}`);
    }
    for (const note of report.notes) this.log(`  note: ${note}`);
    const count = (a: string) => report.files.filter((f) => f.action === a).length;
    this.log(`created ${count('created')}, reissued ${count('reissued')}, updated ${count('updated')}, removed ${count('removed')}, kept ${count('kept')}`);
    this.log(`discovery-token-ca-cert-hash: ${report.caCertHash}`);
  }
}
