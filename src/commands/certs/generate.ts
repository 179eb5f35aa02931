import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { BaseCommand } from '../../cli/base.js';
import { configFlag, quietFlag } from '../../cli/flags.js';
import { progressOn } from '../../cli/progress.js';
import { loadClusterFile } from '../../cluster/load.js';
import { defaultPkiDir, generatePki, type GenerateProgress, PkiError } from '../../pki/index.js';

/** Rough CPU seconds per RSA key (measured on a small build machine; generation time is random and uneven). */
const SECONDS_PER_KEY: Record<number, number> = { 2048: 0.2, 3072: 0.8, 4096: 3 };

/** The line that opens key generation: how many keys, and how long they will take here. */
export function keysLine(keys: number, bits: number): string {
  // Node makes keys on libuv's thread pool: at most UV_THREADPOOL_SIZE (4) at once.
  const parallel = Math.max(1, Math.min(availableParallelism(), Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4));
  const seconds = Math.max(1, Math.round(((SECONDS_PER_KEY[bits] ?? 1) * keys) / parallel));
  const slow = bits >= 4096 ? `; RSA-${bits} takes about ${SECONDS_PER_KEY[bits] ?? 1} s of CPU per key, some keys much longer` : '';
  return `making ${keys} RSA-${bits} key${keys === 1 ? '' : 's'}: about ${seconds} s with ${parallel} at a time${slow}`;
}

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
    verbose: Flags.boolean({ char: 'v', description: 'also list the files that were kept', exclusive: ['quiet'] }),
    ...quietFlag,
    json: Flags.boolean({ description: 'print the report as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsGenerate);
    const cluster = await loadClusterFile(flags.config ?? 'cluster.yaml');
    const dir = flags.dir ? resolve(flags.dir) : defaultPkiDir(cluster);
    // Progress on stderr: a spinner on a terminal, one line per phase in logs; none for --json / --quiet.
    const progress = flags.json || flags.quiet ? undefined : progressOn(process.stderr);
    const onProgress = (p: GenerateProgress) => {
      if (!progress) return;
      if (p.kind === 'planned') {
        if (p.keys === 0) progress.phase('no new keys needed: every key is kept');
        else progress.phase(keysLine(p.keys, p.bits));
      } else if (p.made < p.keys) progress.update(`keys ${p.made}/${p.keys}`);
      else progress.done(`keys ${p.made}/${p.keys} made; certificates and kubeconfigs written`);
    };
    let report;
    try {
      report = await generatePki(cluster, dir, { onProgress });
    } catch (err) {
      if (!(err instanceof PkiError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      return this.exit(1);
    }
    if (flags.json) {
      this.log(JSON.stringify(report, null, 2));
      return;
    }
    const count = (a: string) => report.files.filter((f) => f.action === a).length;
    const counts = `created ${count('created')}, reissued ${count('reissued')}, updated ${count('updated')}, removed ${count('removed')}, kept ${count('kept')}`;
    if (flags.quiet) {
      this.log(counts);
      this.log(`discovery-token-ca-cert-hash: ${report.caCertHash}`);
      return;
    }
    this.log(`PKI for cluster ${cluster.name} (${cluster.controlPlanes.length} control plane(s)) in ${dir}`);
    for (const f of report.files) {
      if (f.action === 'kept' && !flags.verbose) continue;
      this.log(`  ${f.action.padEnd(8)} ${f.path}${f.reason ? `  (${f.reason})` : ''}`);
    }
    for (const note of report.notes) this.log(`  note: ${note}`);
    this.log(counts);
    this.log(`discovery-token-ca-cert-hash: ${report.caCertHash}`);
  }
}
