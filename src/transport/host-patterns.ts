/**
 * OpenSSH's host pattern matching (match.c) for known_hosts (~/.ssh/config is read by ssh -G itself):
 * `*` matches any run of characters, `?` exactly one, a leading `!` negates.
 */

/** Whole-string glob match; iterative so a long pattern cannot blow the stack. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * True when `host` matches at least one pattern and no negated one (a matching `!pattern`
 * rules the host out whatever else matches). Host names compare case-insensitively.
 */
export function matchHostPatterns(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '' || !globMatch(pattern, h)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}
