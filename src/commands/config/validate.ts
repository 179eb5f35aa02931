import { BaseCommand } from '../../cli/base.js';
import { configFlag } from '../../cli/flags.js';
import { loadClusterFile } from '../../cluster/load.js';
import { hostPort } from '../../cluster/net.js';

export default class ConfigValidate extends BaseCommand {
  static override summary = 'Check a cluster file';
  static override description = 'Prints `ok` and a one-line summary, or every problem as <file>:<line>:<col>: <field>: <reason> (exit 2). Contacts no host.';
  static override examples = ['<%= config.bin %> config validate -c examples/ha-centos7.yaml'];
  static override flags = { ...configFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(ConfigValidate);
    const c = await loadClusterFile(flags.config ?? 'cluster.yaml');
    const oses = [...new Set(c.hosts.map((h) => h.os ?? 'detect'))].join('+');
    // The VIP is worth a mention when the endpoint is a name for it.
    const notes = [c.controlPlaneEndpoint?.loadBalancer, c.endpointName && c.vip ? `VIP ${c.vip}` : undefined].filter((n) => n !== undefined);
    const endpoint = `${hostPort(c.apiEndpoint.host, c.apiEndpoint.port)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
    this.log(
      `ok: cluster ${c.name}, Kubernetes ${c.kubernetes.version.full}, ${c.hosts.length} host(s) ` +
        `(${c.controlPlanes.length} control plane, ${c.workers.length} worker; ${oses}), endpoint ${endpoint}, ` +
        `pods ${c.kubernetes.podSubnet}, services ${c.kubernetes.serviceSubnet}, ${c.kubernetes.proxyMode}, ${c.kubernetes.cni}`,
    );
  }
}
