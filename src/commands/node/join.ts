import { Flags } from '@oclif/core';
import { nodeJoinPhases } from '../../actions/node-join.js';
import { BaseCommand } from '../../cli/base.js';
import { clusterRunFlags, durationFlagHours, nodeHostsFlag } from '../../cli/flags.js';
import { InputError } from '../../errors.js';
import { runHostCommand } from '../../run/host-command.js';
import { prepareLocalState } from '../../state/local-state.js';

export default class NodeJoin extends BaseCommand {
  static override summary = 'Prepare hosts of the cluster file and join them to the running cluster';
  static override description =
    "For hosts already in the cluster file but not yet in the cluster (--hosts): preflight (compared with the cluster's hosts: " +
    "unique names, machine ids, MACs; agreeing clocks), a check that the cluster answers with the local PKI's CA (nothing " +
    'changes otherwise), host preparation, for control planes their certificates from the local PKI and the load balancer, ' +
    "the existing hosts updated (/etc/hosts, haproxy's backends), the bootstrap token re-created when it expired, control " +
    'planes joined one at a time and workers in parallel, and the new nodes waited for until Ready (--wait). A host that is ' +
    'already a node is left as it is. Exit 0 all joined, 1 a host failed, 2 bad input.';
  static override examples = [
    '<%= config.bin %> node join --hosts w3 --dry-run',
    '<%= config.bin %> node join --hosts w3,w4 -c cluster.yaml',
    '<%= config.bin %> node join --hosts cp2 --wait 15m',
  ];
  static override flags = {
    ...clusterRunFlags,
    hosts: nodeHostsFlag('the hosts to join (comma-separated names from the cluster file)'),
    wait: Flags.string({ description: 'how long the new nodes may take to become Ready [default: 10m]', helpValue: 'DURATION' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeJoin);
    const waitSeconds = Math.round(durationFlagHours('wait', flags.wait ?? '10m') * 3600);
    if (waitSeconds < 1) throw InputError.single('--wait', 'must be at least 1s');
    const code = await runHostCommand(flags, (cluster, hosts) => {
      if (!cluster.controlPlanes.some((h) => !hosts.includes(h))) {
        throw InputError.single(
          '--hosts',
          `names every control plane (${cluster.controlPlanes.map((h) => h.name).join(', ')}): a join needs a running control plane to join; use node init to make the cluster`,
        );
      }
      return {
        phases: nodeJoinPhases(),
        contacts: cluster.hosts,
        prepare: async () => {
          const prepared = await prepareLocalState(cluster);
          if (!flags.quiet && !flags.json)
            process.stderr.write(`note: local state in ${cluster.stateDir} (PKI, bootstrap token) is ready before any host is contacted\n`);
          return { secrets: prepared.secrets, bootstrap: { state: prepared.state, waitSeconds, waitFor: hosts.map((h) => h.name) } };
        },
      };
    });
    if (code !== 0) this.exit(code);
  }
}
