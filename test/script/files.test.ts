/**
 * File writing in scripts: the heredoc fragments (src/script/files.ts) and the preamble's
 * helpers (k8sprep_write_file, k8sprep_file_matches, k8sprep_backup) run for real under
 * bash against a temp directory.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileMatches, writeFile } from '../../src/script/files.js';
import { PREAMBLE } from '../../src/script/preamble.js';
import { shq } from '../../src/script/quote.js';
import { bashSyntax, runBash } from '../helpers/bash.js';
import { tempDir } from '../helpers/cli.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('k8sprep-files-');
});
afterEach(() => dir.remove());

const RUN_ID = 'run-1';

/** The real preamble with the backup root moved into the temp dir, then `body`. */
function script(body: string): string {
  return `${PREAMBLE}K8SPREP_BACKUP_ROOT=${shq(join(dir.path, 'backup'))}\nK8SPREP_BACKUP_DIR=$K8SPREP_BACKUP_ROOT/$K8SPREP_RUN_ID\n${body}\n`;
}
function run(body: string) {
  return runBash(script(body), [RUN_ID]);
}
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes('.k8sprep.'));

describe('heredoc terminators', () => {
  test('K8SPREP_EOF unless the content has that line', () => {
    expect(writeFile({ path: '/etc/a', mode: '644', content: 'x = 1\n' })).toBe("k8sprep_write_file /etc/a 644 <<'K8SPREP_EOF'\nx = 1\nK8SPREP_EOF");
    expect(writeFile({ path: '/etc/a', mode: '644', content: 'K8SPREP_EOF\n' })).toBe(
      "k8sprep_write_file /etc/a 644 <<'K8SPREP_EOF_1'\nK8SPREP_EOF\nK8SPREP_EOF_1",
    );
    expect(writeFile({ path: '/etc/a', mode: '644', content: 'K8SPREP_EOF\nK8SPREP_EOF_1\nK8SPREP_EOF_2' })).toMatch(/<<'K8SPREP_EOF_3'\n[^]*\nK8SPREP_EOF_3$/);
    // Not a whole line: no clash, the plain terminator is fine.
    expect(writeFile({ path: '/etc/a', mode: '644', content: ' K8SPREP_EOF\nK8SPREP_EOF \n' })).toMatch(/<<'K8SPREP_EOF'\n/);
    expect(fileMatches({ path: '/etc/a b', mode: '600', content: 'K8SPREP_EOF' }, '|| return 1')).toBe(
      "k8sprep_file_matches '/etc/a b' 600 <<'K8SPREP_EOF_1' || return 1\nK8SPREP_EOF\nK8SPREP_EOF_1",
    );
  });

  test('content with terminator lines, $(), backticks and quotes is written byte for byte', () => {
    const target = join(dir.path, 'etc', 'weird name.conf');
    const content = [
      'K8SPREP_EOF',
      'K8SPREP_EOF_1',
      '$(touch /tmp/k8sprep-pwned)',
      '`touch /tmp/k8sprep-pwned`',
      'it\'s "quoted" \\ and ${HOME} and $HOME',
      '\ttab',
      '',
    ].join('\n');
    const spec = { path: target, mode: '640', content };
    const body = `${writeFile(spec)}\n${fileMatches(spec, '&& echo matches')}`;
    expect(bashSyntax(script(body)).status).toBe(0);
    const r = run(body);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('matches\n');
    expect(readFileSync(target, 'utf8')).toBe(content);
    expect(mode(target)).toBe('640');
    expect(existsSync('/tmp/k8sprep-pwned')).toBe(false);
  });

  test('a body without a final newline gets one (both when writing and comparing)', () => {
    const target = join(dir.path, 'x.conf');
    const spec = { path: target, mode: '644', content: 'no newline' };
    const r = run(`${writeFile(spec)}\n${fileMatches(spec, '&& echo matches')}`);
    expect(r.stdout).toBe('matches\n');
    expect(readFileSync(target, 'utf8')).toBe('no newline\n');
  });
});

describe('k8sprep_write_file', () => {
  test('creates the file and its directory with the mode; no backup copy of what did not exist, its creation recorded once; no temp files', () => {
    const target = join(dir.path, 'etc', 'sysctl.d', '99-k8s.conf');
    const r = run([writeFile({ path: target, mode: '600', content: 'a = 1\n' }), writeFile({ path: target, mode: '600', content: 'a = 2\n' })].join('\n'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('a = 2\n');
    expect(mode(target)).toBe('600');
    // node reset --purge: the oldest record of the path says it was not there before k8sprep.
    expect(readFileSync(join(dir.path, 'backup', RUN_ID, '.k8sprep-created'), 'utf8')).toBe(`${target}\n`);
    expect(existsSync(join(dir.path, 'backup', RUN_ID, target))).toBe(true); // the run's own first version, after the record
    expect(mode(join(dir.path, 'backup'))).toBe('700');
    expect(leftovers(join(dir.path, 'etc', 'sysctl.d'))).toEqual([]);
  });

  test('replaces a pre-existing file by rename after backing it up (content and mode) under the run id', () => {
    mkdirSync(join(dir.path, 'etc'));
    const target = join(dir.path, 'etc', 'fstab');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o604);
    const inodeBefore = statSync(target).ino;
    const r = run(writeFile({ path: target, mode: '644', content: 'new\n' }));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(mode(target)).toBe('644');
    expect(statSync(target).ino).not.toBe(inodeBefore); // a new file moved into place, not rewritten in place
    const backup = join(dir.path, 'backup', RUN_ID, target);
    expect(readFileSync(backup, 'utf8')).toBe('old\n');
    expect(mode(backup)).toBe('604');
    expect(mode(join(dir.path, 'backup'))).toBe('700');
    expect(leftovers(join(dir.path, 'etc'))).toEqual([]);
  });

  test('a second write in the same run keeps the first backup (the original)', () => {
    const target = join(dir.path, 'f');
    writeFileSync(target, 'original\n');
    const r = run([writeFile({ path: target, mode: '644', content: 'second\n' }), writeFile({ path: target, mode: '644', content: 'third\n' })].join('\n'));
    expect(r.status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('third\n');
    expect(readFileSync(join(dir.path, 'backup', RUN_ID, target), 'utf8')).toBe('original\n');
  });

  test('an identical file (content and mode) is left alone: same inode, no backup', () => {
    const target = join(dir.path, 'same.conf');
    writeFileSync(target, 'same\n');
    chmodSync(target, 0o644);
    const inode = statSync(target).ino;
    const r = run(writeFile({ path: target, mode: '644', content: 'same\n' }));
    expect(r.status).toBe(0);
    expect(statSync(target).ino).toBe(inode);
    expect(existsSync(join(dir.path, 'backup'))).toBe(false);
    expect(leftovers(dir.path)).toEqual([]);
  });

  test('a failure leaves the target untouched and no temp file behind, and fails the script', () => {
    const target = join(dir.path, 'keep.conf');
    writeFileSync(target, 'keep\n');
    const r = run(`${writeFile({ path: target, mode: 'not-a-mode', content: 'x\n' })}\necho not reached`);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
    expect(leftovers(dir.path)).toEqual([]);
  });
});

describe('k8sprep_file_matches', () => {
  const target = () => join(dir.path, 'm.conf');
  const check = (content: string, m = '644') => run(`${fileMatches({ path: target(), mode: m, content }, '&& echo yes || echo no')}`).stdout;

  test('true only for the same content and mode', () => {
    expect(check('a\n')).toBe('no\n'); // missing
    writeFileSync(target(), 'a\n');
    chmodSync(target(), 0o644);
    expect(check('a\n')).toBe('yes\n');
    expect(check('a\n', '600')).toBe('no\n');
    expect(check('b\n')).toBe('no\n');
    expect(check('a\nb\n')).toBe('no\n');
    expect(check('')).toBe('no\n');
  });
});

test('a backup that cannot be made fails the write and leaves the target as it was', () => {
  const target = join(dir.path, 'precious.conf');
  writeFileSync(target, 'precious\n');
  writeFileSync(join(dir.path, 'not-a-dir'), '');
  const body = `K8SPREP_BACKUP_ROOT=${shq(join(dir.path, 'not-a-dir'))}\nK8SPREP_BACKUP_DIR=$K8SPREP_BACKUP_ROOT/x\n${writeFile({ path: target, mode: '644', content: 'new\n' })}\necho not reached`;
  const r = run(body);
  expect(r.status).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(readFileSync(target, 'utf8')).toBe('precious\n');
  expect(leftovers(dir.path)).toEqual([]);
});
