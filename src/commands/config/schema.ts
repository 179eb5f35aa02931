import { z } from 'zod';
import { BaseCommand } from '../../cli/base.js';
import { clusterFileSchema } from '../../cluster/schema.js';

export default class ConfigSchema extends BaseCommand {
  static override summary = "Print the cluster file's JSON Schema";
  static override description =
    'Generated from the same schema the loader validates with (JSON Schema draft 7), with a description of every field: point your editor at it for completion and hover help (see "Editor support" in the README).';
  static override examples = ['<%= config.bin %> config schema > k8sprep.schema.json'];

  async run(): Promise<void> {
    await this.parse(ConfigSchema);
    // Draft 7: the newest draft yaml-language-server (VS Code's YAML extension, Neovim's yamlls)
    // understands; this schema uses nothing newer.
    const schema = z.toJSONSchema(clusterFileSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' });
    this.log(JSON.stringify({ ...schema, title: 'k8sprep Cluster (k8sprep.io/v1alpha1)' }, null, 2));
  }
}
