/**
 * What cannot be a cluster file is refused before YAML parsing (issue 11 item 8): more than
 * 1 MiB, or bytes that are not YAML text. The CLI path is in test/cli/bad-input.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryContentAt, MAX_CLUSTER_FILE_BYTES, readClusterFileText } from '../../src/cluster/file-text.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('binaryContentAt: the first byte that cannot be YAML text (1-based), with its line and column', () => {
  test.each([
    ['a NUL', bytes('kind: Cluster\n', [0]), { byte: 15, line: 2, col: 1 }],
    ['an escape character mid-line', bytes('kind: Clu', [0x1b], 'ster\n'), { byte: 10, line: 1, col: 10 }],
    ['DEL', bytes('a: b', [0x7f]), { byte: 5, line: 1, col: 5 }],
    ['a byte that is not UTF-8 (Latin-1 é)', bytes('name: caf', [0xe9], '\n'), { byte: 10, line: 1, col: 10 }],
    ['a truncated UTF-8 sequence after multi-byte text', bytes('# üñ\nx: ', [0xe2, 0x82]), { byte: 11, line: 2, col: 4 }],
    ['a C1 control character (U+0085 NEL is allowed, U+0086 is not)', bytes('a: \u0085', '\u0086'), { byte: 6, line: 1, col: 5 }],
    ['an ELF header', bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), { byte: 1, line: 1, col: 1 }],
  ])('%s', (_name, input, where) => {
    expect(binaryContentAt(input)).toEqual(where);
  });

  test.each([
    ['plain YAML with tabs, CRLF line ends and a BOM', bytes([0xef, 0xbb, 0xbf], 'kind: Cluster\r\n\tx: "a\tb"\r\n')],
    ['UTF-8 text, including a real U+FFFD', bytes('# 集群 — café \uFFFD 🚀\nname: x\n')],
    ['an empty file', bytes('')],
  ])('none in %s', (_name, input) => {
    expect(binaryContentAt(input)).toBeUndefined();
  });
});

describe('readClusterFileText', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  async function refusal(path: string): Promise<string> {
    try {
      await readClusterFileText(path, 'shown.yaml');
    } catch (err) {
      if (err instanceof InputError) return err.message;
      throw err;
    }
    throw new Error('expected an InputError');
  }

  test('exactly the limit is read as text; one byte more is refused with the size line', async () => {
    const line = `# ${'x'.repeat(97)}\n`;
    const atLimit = line.repeat(MAX_CLUSTER_FILE_BYTES / line.length) + '#'.repeat(MAX_CLUSTER_FILE_BYTES % line.length);
    expect(Buffer.byteLength(atLimit)).toBe(MAX_CLUSTER_FILE_BYTES);
    writeFileSync(join(dir.path, 'limit.yaml'), atLimit);
    await expect(readClusterFileText(join(dir.path, 'limit.yaml'), 'limit.yaml')).resolves.toBe(atLimit);
    writeFileSync(join(dir.path, 'over.yaml'), `${atLimit}#`);
    expect(await refusal(join(dir.path, 'over.yaml'))).toBe('shown.yaml: larger than 1 MiB, the limit for a cluster file; not read');
  });

  test('an endless source is refused too: at most limit + 1 bytes are read', async () => {
    expect(await refusal('/dev/zero')).toBe('shown.yaml: larger than 1 MiB, the limit for a cluster file; not read');
  });

  test('binary content: one line with the file, line and column', async () => {
    writeFileSync(join(dir.path, 'bin.yaml'), bytes('kind: Cluster\nspec: ', [0, 1, 2]));
    expect(await refusal(join(dir.path, 'bin.yaml'))).toBe('shown.yaml:2:7: not a YAML text file (binary content at byte 21)');
  });

  test('an unreadable path is a --config problem', async () => {
    expect(await refusal(join(dir.path, 'missing.yaml'))).toBe('--config: shown.yaml: no such file');
    expect(await refusal(dir.path)).toBe('--config: shown.yaml: is a directory, not a cluster file');
  });
});
