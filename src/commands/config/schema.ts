import { BaseCommand } from '../../cli/base.js';
import { clusterJsonSchemaText } from '../../cluster/json-schema.js';

export default class ConfigSchema extends BaseCommand {
  static override summary = "Print the cluster file's JSON Schema";
  static override description =
    'Generated from the same schema the loader validates with (JSON Schema draft 7), with a description of every field: point your editor at it for completion and hover help (see "Editor support" in the README). config init writes it beside the cluster file as cluster.schema.json.';
  static override examples = ['<%= config.bin %> config schema > cluster.schema.json'];

  async run(): Promise<void> {
    await this.parse(ConfigSchema);
    process.stdout.write(clusterJsonSchemaText());
  }
}
