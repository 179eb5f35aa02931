import { z } from 'zod';
import { BaseCommand } from '../../cli/base.js';
import { clusterFileSchema } from '../../cluster/schema.js';

export default class ConfigSchema extends BaseCommand {
  static override summary = "Print the cluster file's JSON Schema";
  static override description = 'Generated from the same schema the loader validates with; point your editor at it for completion.';
  static override examples = ['<%= config.bin %> config schema > k8sprep.schema.json'];

  async run(): Promise<void> {
    await this.parse(ConfigSchema);
    const schema = z.toJSONSchema(clusterFileSchema, { io: 'input', unrepresentable: 'any' });
    this.log(JSON.stringify({ ...schema, title: 'k8sprep Cluster (k8sprep.io/v1alpha1)' }, null, 2));
  }
}
