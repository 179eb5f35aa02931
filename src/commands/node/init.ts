import { Flags } from '@oclif/core';
import { nodeInitPhases } from '../../actions/node-init.js';
import { BaseCommand } from '../../cli/base.js';
import { durationFlagHours, hostRunFlags } from '../../cli/flags.js';
import { InputError } from '../../errors.js';
import { runHostCommand } from '../../run/host-command.js';
import { prepareLocalState } from '../../state/local-state.js';

export default class NodeInit extends BaseCommand {
  static override summary = 'Prepare every host, then bootstrap the cluster';
  static override description =
    'Preflight and host preparation on every host in parallel (swap, kernel modules, sysctl, containerd, kubelet/kubeadm/kubectl, images), ' +
    'then the bootstrap: certificates from the local PKI on the control planes, the API load balancer (kube-vip or keepalived+haproxy), ' +
    'kubeadm init on the first control plane, the other control planes joined one at a time, the workers in parallel, the CNI, ' +
    'every node waited for until Ready (--wait), and the admin kubeconfig fetched to .k8sprep/<cluster>/admin.conf. ' +
    'The PKI and the bootstrap token are made in .k8sprep/<cluster>/ first (a dry run makes them too, so it shows the real join commands). ' +
    'Running it again finishes what is missing and changes nothing else. With --dry-run, prints the exact scripts and contacts no host.';
  static override examples = [
    '<%= config.bin %> node init --dry-run -c examples/ha-centos7.yaml',
    '<%= config.bin %> node init -c cluster.yaml',
    '<%= config.bin %> node init --prep-only -c cluster.yaml',
    '<%= config.bin %> node init --prep-only --host 192.168.56.11 --os centos7 --role control-plane,worker --version 1.30.6',
  ];
  static override flags = {
    ...hostRunFlags,
    'prep-only': Flags.boolean({ description: 'stop after host preparation' }),
    wait: Flags.string({ description: 'how long the nodes may take to become Ready [default: 10m]', helpValue: 'DURATION' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeInit);
    const prepOnly = flags['prep-only'];
    if (prepOnly && flags.wait !== undefined) throw InputError.single('--wait', 'cannot be combined with --prep-only (nothing waits for nodes)');
    const waitSeconds = Math.round(durationFlagHours('wait', flags.wait ?? '10m') * 3600);
    if (waitSeconds < 1) throw InputError.single('--wait', 'must be at least 1s');
    const code = await runHostCommand(flags, (cluster) => ({
      phases: nodeInitPhases({ prepOnly }),
      ...(prepOnly
        ? {}
        : {
            prepare: async () => {
              const prepared = await prepareLocalState(cluster);
              if (!flags.quiet && (flags['dry-run'] || !flags.json)) {
                const made = prepared.created.length ? `made ${prepared.created.length} file(s)` : 'nothing to make';
                process.stderr.write(`note: local state in ${cluster.stateDir} (PKI, bootstrap token) is ready before any host is contacted: ${made}\n`);
              }
              return { secrets: prepared.secrets, bootstrap: { state: prepared.state, waitSeconds, initHost: cluster.firstControlPlane.name } };
            },
          }),
    }));
    if (code !== 0) this.exit(code);
  }
}
