/**
 * The JSON Schema `config init` keeps beside the cluster file (`cluster.schema.json`), so the
 * file's yaml-language-server line names a schema that exists: written when absent, replaced
 * when it is another k8sprep version's, left alone when it is this version's, and never
 * touched when it is someone else's file (then the cluster file names no schema).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clusterJsonSchemaText, isClusterJsonSchema } from '../../cluster/json-schema.js';
import { writeFileAtomic } from '../../util/fs.js';

export const SCHEMA_FILE = 'cluster.schema.json';
/** The modeline's value: a path relative to the YAML file, as yaml-language-server resolves it. */
export const SCHEMA_REF = `./${SCHEMA_FILE}`;

export type SchemaFileState = 'absent' | 'current' | 'other-version' | 'foreign';

export function schemaPathBeside(clusterFile: string): string {
  return join(dirname(clusterFile), SCHEMA_FILE);
}

export async function schemaFileState(path: string): Promise<SchemaFileState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    // Unreadable (a directory, no permission): not ours to replace.
    return 'foreign';
  }
  if (text === clusterJsonSchemaText()) return 'current';
  return isClusterJsonSchema(text) ? 'other-version' : 'foreign';
}

/** Brings the schema file to this version's where that is k8sprep's to do; returns what it did, for the operator. */
export async function updateSchemaFile(path: string, state: SchemaFileState): Promise<'written' | 'replaced' | undefined> {
  if (state === 'absent') {
    // 'wx': a file that appeared since it was looked at is not overwritten.
    await writeFile(path, clusterJsonSchemaText(), { mode: 0o644, flag: 'wx' });
    return 'written';
  }
  if (state === 'other-version') {
    await writeFileAtomic(path, clusterJsonSchemaText(), { mode: 0o644 });
    return 'replaced';
  }
  return undefined;
}
