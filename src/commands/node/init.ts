import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { hostRunFlags } from '../../cli/flags.js';
import { runHostCommand } from '../../run/host-command.js';
import { nodeInitPhases } from '../../steps/phases.js';

export default class NodeInit extends BaseCommand {
  static override summary = 'Prepare every host of the cluster file for kubeadm';
  static override description =
    'Runs preflight on every host (read-only: OS, CPUs, memory, ports, clock, unique names and MACs), compares the ' +
    'hosts, then prepares them in parallel (swap, SELinux, firewalld, kernel modules, sysctl, package mirrors, ' +
    'containerd, kubelet/kubeadm/kubectl, crictl, the images), each step idempotent. The kubeadm bootstrap (init, ' +
    'joins, CNI) is not in this release yet: the command stops after preparation and says so. With --dry-run it ' +
    'prints the exact scripts instead and contacts no host (when every host declares its os). ' +
    'Exit 0 every host ok, 1 a host failed, 2 bad input, 130 interrupted.';
  static override examples = [
    '<%= config.bin %> node init --dry-run -c examples/ha-centos7.yaml',
    '<%= config.bin %> node init --prep-only -c cluster.yaml',
    '<%= config.bin %> node init --prep-only --host 192.168.56.11 --os centos7 --role control-plane,worker --version 1.30.6',
  ];
  static override flags = {
    ...hostRunFlags,
    'prep-only': Flags.boolean({ description: 'stop after host preparation' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeInit);
    const note = () => {
      if (!flags['prep-only'] && !flags.json && !flags.quiet) {
        process.stderr.write('note: the kubeadm bootstrap phases (init, join, CNI) are not in this release yet; running host preparation only\n');
      }
    };
    // The note only once the input is known to be valid: input errors come first, alone.
    const code = await runHostCommand(flags, nodeInitPhases({ prepOnly: flags['prep-only'] }), { onInputValid: note });
    if (code !== 0) this.exit(code);
  }
}
