/**
 * Yum repository files parsed the way yum reads them: yum 3 parses .repo files with Python's
 * ConfigParser (through iniparse), so they are read here by Python's configparser (no
 * interpolation: `$basearch` stays for yum), as section -> key -> value.
 */
import { spawnSync } from 'node:child_process';

const PARSE = `import configparser, json, sys
c = configparser.ConfigParser(interpolation=None, strict=True)
c.read_string(sys.stdin.read())
print(json.dumps({s: dict(c[s]) for s in c.sections()}))`;

export type RepoFile = Record<string, Record<string, string>>;

export function parseRepoFile(text: string): RepoFile {
  const r = spawnSync('python3', ['-c', PARSE], { input: text, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`python3 could not parse the repo file (install the Debian package python3): ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as RepoFile;
}
