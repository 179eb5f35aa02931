/**
 * The field lists of kubeadm's config API types (test/data/kubeadm-api, see its README), and a
 * strict check of a parsed config document against them: kubeadm init/join only warn about an
 * unknown field and drop it, so the tests must fail instead.
 */
import { readFileSync } from 'node:fs';

/**
 * `string`, `bool`, `int`, `number` (floats), `duration`, `time`, `quantity`, `map[string]string`,
 * `map`, `object` (free-form), a type name from `types`, or `[]<ref>` for a list.
 */
export type TypeRef = string;

export interface ApiFieldList {
  /** Where the list came from: repository, path, commit, date read. */
  source: string;
  /** Top-level kind -> the type describing it. */
  kinds: Record<string, string>;
  /** Type name -> JSON field name -> type reference (inline structs already merged). */
  types: Record<string, Record<string, TypeRef>>;
}

export type ApiFieldListName = 'v1beta3' | 'v1beta4' | 'kubelet-v1beta1' | 'kubeproxy-v1alpha1';

const cache = new Map<ApiFieldListName, ApiFieldList>();

export function loadApiFields(name: ApiFieldListName): ApiFieldList {
  let list = cache.get(name);
  if (!list) {
    const url = new URL(`../data/kubeadm-api/${name}.json`, import.meta.url);
    list = JSON.parse(readFileSync(url, 'utf8')) as ApiFieldList;
    cache.set(name, list);
  }
  return list;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(value: unknown, ref: TypeRef, path: string, schema: ApiFieldList, out: string[]): void {
  if (ref.startsWith('[]')) {
    if (!Array.isArray(value)) return;
    const elem = ref.slice(2);
    value.forEach((item, i) => walk(item, elem, `${path}[${i}]`, schema, out));
    return;
  }
  const fields = schema.types[ref];
  // Scalars, maps and `object` are leaves; a value of the wrong shape is not this check's business.
  if (!fields || !isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    const childRef = fields[key];
    if (childRef === undefined) out.push(childPath);
    else walk(child, childRef, childPath, schema, out);
  }
}

/**
 * The dotted paths (`nodeRegistration.kubeletExtraArgs[0].nme`) of every field in `doc` that the
 * type of `kind` does not have. Lists of structs are checked element by element; maps and
 * free-form values are not looked into. Throws for a kind the list does not describe.
 */
export function unknownFields(doc: unknown, schema: ApiFieldList, kind: string): string[] {
  const type = schema.kinds[kind];
  if (type === undefined) {
    throw new Error(`unknown kind ${JSON.stringify(kind)} (known: ${Object.keys(schema.kinds).join(', ')})`);
  }
  const out: string[] = [];
  walk(doc, type, '', schema, out);
  return out;
}
