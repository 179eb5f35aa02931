/**
 * Secrets in rendered scripts. Steps place `secretRef(name)` where a secret belongs (file
 * bodies only); the renderer's output keeps the placeholders, and one of two fillers
 * produces the final bytes: `redactSecrets` for the dry run and logs, `fillSecrets` for
 * the real run. Same renderer, same bytes, apart from the redactions.
 */
const MARK = '\u0001';
// eslint-disable-next-line no-control-regex -- \u0001 delimits a placeholder no YAML value can contain
const PLACEHOLDER = /\u0001k8sprep-secret:([A-Za-z0-9_.-]+)\u0001/g;

export function secretRef(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid secret name ${name}`);
  return `${MARK}k8sprep-secret:${name}${MARK}`;
}

export function secretNames(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

export function redactSecrets(text: string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => `<redacted:${name}>`);
}

/**
 * A value with a line like a heredoc terminator would end the file body early and run the
 * rest as commands; the terminator was chosen before the value was known, so refuse it.
 */
const TERMINATOR_LINE = /^K8SPREP_EOF/m;

export function fillSecrets(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`secret ${name} has no value`);
    if (TERMINATOR_LINE.test(value) || value.includes(MARK))
      throw new Error(`secret ${name} holds a line starting with K8SPREP_EOF or a control character k8sprep cannot place in a script`);
    return value;
  });
}

/** Removes known secret values from free text (host output, error messages) before it is shown or logged. */
export function scrubSecrets(text: string, values: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [name, value] of values) {
    for (const line of value.split('\n')) {
      if (line.length >= 8) out = out.split(line).join(`<redacted:${name}>`);
    }
  }
  return out;
}
