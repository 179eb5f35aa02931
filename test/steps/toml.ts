/**
 * A small TOML reader for the configs k8sprep writes and containerd dumps: [table] headers
 * with bare, "basic" and 'literal' key parts, `key = value` with strings, integers, floats,
 * booleans and arrays of those. Anything else (inline tables, arrays of tables, a key or
 * table defined twice, a malformed line) throws, so a typo in a template cannot pass.
 * Returns every leaf as a dotted path (parts JSON-quoted when not bare) -> value.
 */
export type TomlValue = string | number | boolean | TomlValue[];

const BARE = /^[A-Za-z0-9_-]+$/;

class Cursor {
  constructor(
    readonly text: string,
    public at = 0,
  ) {}
  get rest(): string {
    return this.text.slice(this.at);
  }
  skipSpace(): void {
    while (this.at < this.text.length && (this.text[this.at] === ' ' || this.text[this.at] === '\t')) this.at++;
  }
  fail(why: string): never {
    throw new Error(`TOML: ${why} at ${JSON.stringify(this.rest.slice(0, 40))}`);
  }
}

function basicString(c: Cursor): string {
  c.at++; // opening "
  let out = '';
  while (c.at < c.text.length) {
    const ch = c.text[c.at++] ?? '';
    if (ch === '"') return out;
    if (ch === '\\') {
      const e = c.text[c.at++] ?? '';
      const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
      if (e in simple) out += simple[e];
      else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        out += String.fromCodePoint(parseInt(c.text.slice(c.at, c.at + len), 16));
        c.at += len;
      } else c.fail(`bad escape \\${e}`);
    } else if (ch === '\n') c.fail('newline in a string');
    else out += ch;
  }
  return c.fail('unterminated string');
}

function literalString(c: Cursor): string {
  const end = c.text.indexOf("'", c.at + 1);
  if (end < 0 || c.text.slice(c.at + 1, end).includes('\n')) c.fail('unterminated literal string');
  const s = c.text.slice(c.at + 1, end);
  c.at = end + 1;
  return s;
}

function keyParts(c: Cursor): string[] {
  const parts: string[] = [];
  for (;;) {
    c.skipSpace();
    const ch = c.text[c.at];
    if (ch === '"') parts.push(basicString(c));
    else if (ch === "'") parts.push(literalString(c));
    else {
      const m = /^[A-Za-z0-9_-]+/.exec(c.rest);
      if (!m) c.fail('expected a key');
      parts.push(m[0]);
      c.at += m[0].length;
    }
    c.skipSpace();
    if (c.text[c.at] !== '.') return parts;
    c.at++;
  }
}

function value(c: Cursor): TomlValue {
  c.skipSpace();
  const ch = c.text[c.at];
  if (ch === '"') return basicString(c);
  if (ch === "'") return literalString(c);
  if (ch === '[') {
    c.at++;
    const items: TomlValue[] = [];
    for (;;) {
      while (/[\s,]/.test(c.text[c.at] ?? '')) c.at++;
      if (c.text[c.at] === ']') {
        c.at++;
        return items;
      }
      items.push(value(c));
      while (/[ \t\n]/.test(c.text[c.at] ?? '')) c.at++;
      if (c.text[c.at] !== ',' && c.text[c.at] !== ']') c.fail('expected , or ] in an array');
    }
  }
  const m = /^(true|false|[+-]?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?)(?=[\s,\]#]|$)/.exec(c.rest);
  if (!m) c.fail('unsupported value');
  c.at += m[0].length;
  if (m[0] === 'true' || m[0] === 'false') return m[0] === 'true';
  return Number(m[0].replace(/_/g, ''));
}

export function pathKey(parts: readonly string[]): string {
  return parts.map((p) => (BARE.test(p) ? p : JSON.stringify(p))).join('.');
}

/** Leaves by dotted path, plus the set of table headers in the order they appear. */
export function parseToml(text: string): { values: Map<string, TomlValue>; tables: string[] } {
  const values = new Map<string, TomlValue>();
  const tables: string[] = [];
  let table: string[] = [];
  const c = new Cursor(text);
  while (c.at < text.length) {
    c.skipSpace();
    const ch = text[c.at];
    if (ch === '\n') {
      c.at++;
      continue;
    }
    if (ch === '#') {
      c.at = text.indexOf('\n', c.at) < 0 ? text.length : text.indexOf('\n', c.at);
      continue;
    }
    if (ch === '[') {
      if (text[c.at + 1] === '[') c.fail('arrays of tables are not supported');
      c.at++;
      table = keyParts(c);
      if (text[c.at] !== ']') c.fail('expected ] after a table name');
      c.at++;
      const key = pathKey(table);
      if (tables.includes(key)) c.fail(`table ${key} defined twice`);
      tables.push(key);
    } else {
      const key = pathKey([...table, ...keyParts(c)]);
      if (text[c.at] !== '=') c.fail('expected =');
      c.at++;
      if (values.has(key)) c.fail(`key ${key} defined twice`);
      values.set(key, value(c));
    }
    c.skipSpace();
    if (text[c.at] === '#') c.at = text.indexOf('\n', c.at) < 0 ? text.length : text.indexOf('\n', c.at);
    if (c.at < text.length && text[c.at] !== '\n') c.fail('expected the end of the line');
  }
  return { values, tables };
}
