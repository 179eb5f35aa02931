/**
 * The read script's output protocol: files (mode, owner, path, base64 between markers),
 * interrupted renewals, a missing /etc/kubernetes; output that breaks the protocol is an
 * error that never quotes the line (it may be part of a private key).
 */
import { ReadOutputParser } from '../../src/steps/certs/read-parse.js';
import { READ_MARK, renderReadScript } from '../../src/steps/certs/read.js';
import { bashSyntax } from '../helpers/bash.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('files, owners, modes and hashes; pending renewals', () => {
  const p = new ReadOutputParser();
  const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n';
  const encoded = b64(key);
  for (const line of [
    `${READ_MARK.file} 600 0:0 pki/apiserver.key`,
    encoded.slice(0, 20),
    encoded.slice(20),
    READ_MARK.end,
    `${READ_MARK.file} 640 0:1000 admin.conf`,
    b64('kind: Config\n'),
    READ_MARK.end,
    `${READ_MARK.pending} 20261201T000000Z-abcd committed`,
  ])
    p.line(line);
  const r = p.result();
  expect(r.files.get('pki/apiserver.key')).toEqual({
    path: 'pki/apiserver.key',
    mode: 0o600,
    owner: '0:0',
    text: key,
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
  });
  expect(r.files.get('admin.conf')).toMatchObject({ mode: 0o640, owner: '0:1000', text: 'kind: Config\n' });
  expect(r.pending).toEqual([{ runId: '20261201T000000Z-abcd', state: 'committed' }]);
  expect(r.noKubeDir).toBe(false);
});

test('output that breaks the protocol fails without quoting it; a missing /etc/kubernetes is reported', () => {
  const garbled = new ReadOutputParser();
  garbled.line(`${READ_MARK.file} 600 0:0 pki/ca.key`);
  garbled.line('secret material: not base64!');
  garbled.line(READ_MARK.end);
  expect(() => garbled.result()).toThrow(/^unexpected output inside pki\/ca\.key$/);
  const cut = new ReadOutputParser();
  cut.line(`${READ_MARK.file} 600 0:0 pki/ca.key`);
  cut.line('TUlJRQ==');
  expect(() => cut.result()).toThrow('the output ended inside pki/ca.key');
  const none = new ReadOutputParser();
  none.line(`${READ_MARK.none} /etc/kubernetes`);
  expect(none.result()).toMatchObject({ noKubeDir: true, files: new Map() });
  expect(bashSyntax(renderReadScript('cp1')).stderr).toBe('');
});
