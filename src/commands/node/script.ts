import { Flags } from '@oclif/core';
import { CONTROL_PLANE_REFUSAL, FORMATS, type NodeScriptFormat, renderNodeScripts, writeNodeScripts } from '../../actions/node-script.js';
import { BaseCommand } from '../../cli/base.js';
import { configFlag } from '../../cli/flags.js';
import { OS_IDS } from '../../cluster/schema.js';

export default class NodeScript extends BaseCommand {
  static override summary = 'Print the scripts a new worker runs to join by itself, as cloud-init user-data or one bash script';
  static override description =
    "For workers of the cluster file (--hosts), or for any new worker (--role worker --os OS: its node name is the machine's " +
    'hostname, its node IP the address it reaches the API endpoint from, both read when the scripts run): the scripts node join ' +
    'would run on the machine (preflight, host preparation, kubeadm join with the bootstrap token and the local CA hash), ' +
    'wrapped as cloud-init user-data (write_files + runcmd) or as one bash script to run as root; they run in order, stop at ' +
    'the first failure and log to /var/log/k8sprep-node-script.log. For autoscaling groups: machines join at first boot, ' +
    'without SSH. Needs the local state of node init (.k8sprep/<cluster>/); contacts no host. The bootstrap token is ' +
    '<redacted:bootstrap-token> unless --show-secrets (redacted output cannot join); it expires 24 h after node init or node ' +
    'join last made it (the README section "k8sprep node script" says how to make it last longer and what that risks). Not done as node ' +
    "join does: comparing the new machine with the cluster's hosts, renewing the token, adding the node to the other hosts' " +
    '/etc/hosts, waiting until the node is Ready. Control planes are refused: ' +
    `${CONTROL_PLANE_REFUSAL}.`;
  static override examples = [
    '<%= config.bin %> node script --hosts w3 --show-secrets > w3.yaml',
    '<%= config.bin %> node script --hosts w3,w4 --format bash --out scripts/ --show-secrets',
    '<%= config.bin %> node script --role worker --os centos7 --show-secrets > worker-user-data.yaml',
  ];
  static override flags = {
    ...configFlag,
    hosts: Flags.string({ description: 'workers of the cluster file (comma-separated names)', helpValue: 'NAMES' }),
    role: Flags.string({ description: 'without --hosts: a template for any new machine of this role (worker only)', helpValue: 'worker' }),
    os: Flags.string({ description: "the template's OS (with --role)", options: [...OS_IDS], helpValue: 'centos7|arch' }),
    format: Flags.string({ description: 'cloud-init user-data or one bash script [default: cloud-init]', options: [...FORMATS], helpValue: 'cloud-init|bash' }),
    out: Flags.string({ description: 'write DIR/<host>.yaml (or .sh) instead of printing', helpValue: 'DIR' }),
    'show-secrets': Flags.boolean({ description: 'put the bootstrap token in the output instead of <redacted:bootstrap-token>' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeScript);
    const format = (flags.format ?? 'cloud-init') as NodeScriptFormat;
    const showSecrets = flags['show-secrets'];
    const result = await renderNodeScripts({ config: flags.config, hosts: flags.hosts, role: flags.role, os: flags.os, format, out: flags.out, showSecrets });
    if (flags.out === undefined) {
      for (const f of result.files) process.stdout.write(f.bytes);
    } else {
      for (const path of await writeNodeScripts(result, flags.out, format, showSecrets)) this.log(path);
    }
    process.stderr.write(
      showSecrets
        ? `note: the output holds the bootstrap token ${result.tokenId}.*: whoever reads it can join machines to the cluster until the token expires (kubeadm token list on a control plane shows when)\n`
        : 'note: the bootstrap token is <redacted:bootstrap-token>: this output cannot join a machine; --show-secrets puts the token in\n',
    );
  }
}
