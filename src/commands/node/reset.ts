import { Flags } from '@oclif/core';
import { isTeardown, nodeResetPhases } from '../../actions/node-reset.js';
import { BaseCommand } from '../../cli/base.js';
import { clusterRunFlags, nodeHostsFlag } from '../../cli/flags.js';
import type { Cluster, Host } from '../../cluster/types.js';
import { InputError } from '../../errors.js';
import { runHostCommand } from '../../run/host-command.js';

/** What the confirmation lists: what goes from each host. */
function removalList(cluster: Cluster, hosts: readonly Host[], purge: boolean): string {
  const teardown = isTeardown(cluster, hosts);
  const lines = hosts.map(
    (h) =>
      `  ${h.name} (${h.address}): ${teardown ? '' : 'drained, '}kubeadm reset (manifests, certificates, kubeconfigs, etcd and kubelet data${h.isControlPlane ? ', its etcd member' : ''}), CNI files and interfaces, Kubernetes' iptables chains and IPVS table, the load balancer's files${teardown ? '' : ', its Node deleted'}`,
  );
  return [
    teardown ? 'This tears the whole cluster down:' : 'This takes these hosts out of the cluster:',
    ...lines,
    purge
      ? '--purge: host preparation is undone too: the files prep changed as they were before k8sprep (sysctl, modules, fstab, repositories, SELinux, containerd, crictl, chrony, /etc/hosts, the host name), the firewalld rules and the packages it added.'
      : 'Host preparation (packages, sysctl, containerd) stays.',
  ].join('\n');
}

/** Control planes whose leaving would cost etcd its quorum: a majority of the current members must stay. */
function quorumProblem(cluster: Cluster, hosts: readonly Host[]): string | undefined {
  if (isTeardown(cluster, hosts)) return undefined;
  const leaving = cluster.controlPlanes.filter((h) => hosts.includes(h));
  const staying = cluster.controlPlanes.length - leaving.length;
  if (leaving.length === 0) return undefined;
  if (staying === 0)
    return `names every control plane (${leaving.map((h) => h.name).join(', ')}) but not every host: the cluster would be left without a control plane; name every host to tear the whole cluster down`;
  if (staying <= cluster.controlPlanes.length / 2) {
    return `would leave ${staying} of ${cluster.controlPlanes.length} control planes: etcd needs a majority of its members while they leave; reset at most ${Math.ceil(cluster.controlPlanes.length / 2) - 1} at a time`;
  }
  return undefined;
}

export default class NodeReset extends BaseCommand {
  static override summary = 'Take hosts out of the cluster and remove what Kubernetes left on them';
  static override description =
    "In kubeadm's documented order, from a control plane that stays (after checking the cluster answers with the local CA): " +
    "drain the nodes, kubeadm reset on each (a control plane's etcd member is confirmed gone, removed when not), delete the " +
    'Nodes, then remove what kubeadm leaves: CNI configuration and interfaces, only the KUBE-/cali-/FLANNEL- iptables chains ' +
    "(firewalld reloaded), the IPVS table, the load balancer's files, /etc/kubernetes/k8sprep, a VIP left on an interface, " +
    "/root/.kube. Control planes one at a time; the remaining ones' haproxy drops them. Refuses the last control plane, or " +
    'one whose leaving would cost etcd its quorum, unless every host is named (a teardown: no drain). Asks for confirmation on ' +
    "a terminal; without one, --yes is required. --purge also undoes host preparation from k8sprep's records: the files it changed as they were before (the oldest backup of each), SELinux's mode, the firewalld rules and the packages it added. Resetting a host that is already reset changes nothing. Exit 0 all reset, " +
    '1 a host failed or the answer was no, 2 bad input.';
  static override examples = [
    '<%= config.bin %> node reset --hosts w2 --dry-run',
    '<%= config.bin %> node reset --hosts w2 --yes',
    '<%= config.bin %> node reset --hosts cp3',
    '<%= config.bin %> node reset --hosts w2 --purge --dry-run',
  ];
  static override flags = {
    ...clusterRunFlags,
    hosts: nodeHostsFlag('the hosts to reset (comma-separated names from the cluster file)'),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a terminal)' }),
    purge: Flags.boolean({ description: 'also undo host preparation: files as before k8sprep (from its backups), the firewalld rules and packages it added' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeReset);
    const code = await runHostCommand(
      flags,
      (cluster, hosts) => {
        const quorum = quorumProblem(cluster, hosts);
        if (quorum) throw InputError.single('--hosts', quorum);
        return {
          phases: nodeResetPhases(cluster, hosts, { purge: flags.purge }),
          contacts: [...hosts, ...cluster.controlPlanes.filter((h) => !hosts.includes(h))],
          // Nothing is placed: no local state is made (the cluster check reads the local CA as it is).
          prepare: async () => ({ secrets: new Map(), bootstrap: { waitSeconds: 0, leaving: hosts.filter((h) => h.isControlPlane).map((h) => h.name) } }),
        };
      },
      {
        confirm: async (cluster, hosts) => {
          if (flags.yes) return true;
          if (!process.stdin.isTTY) throw InputError.single('--yes', 'is needed without a terminal: node reset removes Kubernetes from the hosts');
          process.stderr.write(`${removalList(cluster, hosts, flags.purge)}\n`);
          const { confirm } = await import('@inquirer/prompts');
          return confirm({ message: `Reset ${hosts.map((h) => h.name).join(', ')}?`, default: false }, { output: process.stderr });
        },
      },
    );
    if (code !== 0) this.exit(code);
  }
}
