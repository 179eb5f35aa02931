/**
 * The cluster file's JSON Schema, generated from the zod schema the loader validates with:
 * what `config schema` prints and `config init` writes beside the cluster file for editors.
 */
import { z } from 'zod';
import { clusterFileSchema } from './schema.js';

/** The schema's title; k8sprep recognises its own schema files (of any version) by it. */
const SCHEMA_TITLE = 'k8sprep Cluster (k8sprep.io/v1alpha1)';
const TITLE_PREFIX = 'k8sprep Cluster';

/** The schema as JSON text (2-space indent, final newline). */
export function clusterJsonSchemaText(): string {
  // Draft 7: the newest draft yaml-language-server (VS Code's YAML extension, Neovim's yamlls)
  // understands; this schema uses nothing newer.
  const schema = z.toJSONSchema(clusterFileSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' });
  return `${JSON.stringify({ ...schema, title: SCHEMA_TITLE }, null, 2)}\n`;
}

/** Whether `text` is a k8sprep cluster schema (this version's or another's), by its title. */
export function isClusterJsonSchema(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    const title = typeof value === 'object' && value !== null ? (value as { title?: unknown }).title : undefined;
    return typeof title === 'string' && title.startsWith(TITLE_PREFIX);
  } catch {
    return false;
  }
}
