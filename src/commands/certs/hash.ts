import { Flags } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BaseCommand } from '../../cli/base.js';
import { configFlag } from '../../cli/flags.js';
import { loadClusterFile } from '../../cluster/load.js';
import { InputError } from '../../errors.js';
import { caCertHash, defaultPkiDir } from '../../pki/index.js';

export default class CertsHash extends BaseCommand {
  static override summary = "Print kubeadm's discovery-token-ca-cert-hash of the cluster CA";
  static override description =
    "`sha256:` + hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo, as `kubeadm join --discovery-token-ca-cert-hash` expects.";
  static override examples = ['<%= config.bin %> certs hash -c cluster.yaml', '<%= config.bin %> certs hash --ca-cert /etc/kubernetes/pki/ca.crt'];
  static override flags = {
    ...configFlag,
    dir: Flags.string({ description: 'PKI directory (uses DIR/ca.crt) [default: .k8sprep/<cluster>/pki]', helpValue: 'DIR', exclusive: ['ca-cert'] }),
    'ca-cert': Flags.string({ description: 'any CA certificate file; needs no cluster file', helpValue: 'FILE', exclusive: ['dir', 'config'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsHash);
    let path: string;
    if (flags['ca-cert']) path = resolve(flags['ca-cert']);
    else if (flags.dir) path = join(resolve(flags.dir), 'ca.crt');
    else path = join(defaultPkiDir(await loadClusterFile(flags.config ?? 'cluster.yaml')), 'ca.crt');
    const flag = flags['ca-cert'] ? '--ca-cert' : '--dir';
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw InputError.single(
        flag,
        `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (run `k8sprep certs generate` first?)' : 'cannot read'}`,
      );
    }
    try {
      this.log(caCertHash(text));
    } catch (err) {
      throw InputError.single(flag, `${path}: ${(err as Error).message}`);
    }
  }
}
