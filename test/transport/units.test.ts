/** The small pure pieces of the transports: ~/.ssh/config, line splitting, command lines, prompts. */
import { describeScript, scriptCommand, signalExitStatus, sudoProblem, SudoWatch } from '../../src/transport/command.js';
import { LineSplitter } from '../../src/transport/lines.js';
import { interactivePrompts, noPrompts } from '../../src/transport/prompts.js';
import { expandIdentityPath, parseJump } from '../../src/transport/ssh-config.js';
import { runBash } from '../helpers/bash.js';

describe('~/.ssh/config pieces (resolution itself: ssh-config.test.ts, against sshd)', () => {
  it('reads one ProxyJump hop: [user@]host[:port], ssh:// and bracketed IPv6; refuses several hops', () => {
    expect(parseJump('jump.example')).toEqual({ host: 'jump.example' });
    expect(parseJump('ops@jump.example:2200')).toEqual({ host: 'jump.example', user: 'ops', port: 2200 });
    expect(parseJump('ssh://ops@[fd00::1]:22')).toEqual({ host: 'fd00::1', user: 'ops', port: 22 });
    expect(() => parseJump('a,b')).toThrow(/more than one jump host/);
  });

  it('expands ~ and % tokens', () => {
    const ctx = { home: '/home/me', host: '10.0.0.5', remoteUser: 'root', localUser: 'me' };
    expect(expandIdentityPath('~/.ssh/k', ctx)).toBe('/home/me/.ssh/k');
    expect(expandIdentityPath('%d/.ssh/%r@%h-%u%%', ctx)).toBe('/home/me/.ssh/root@10.0.0.5-me%');
  });
});

describe('LineSplitter', () => {
  it('joins lines across chunks, keeps UTF-8 characters whole, flushes the tail once', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('ab\nc\u00e9d\n\nlast');
    for (const b of bytes) s.push(Buffer.from([b]));
    expect(lines).toEqual(['ab', 'c\u00e9d', '']);
    s.end();
    s.end();
    expect(lines).toEqual(['ab', 'c\u00e9d', '', 'last']);
  });

  it('emits nothing at the end after a final newline', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('x\n');
    s.end();
    expect(lines).toEqual(['x']);
  });
});

describe('scriptCommand', () => {
  it('quotes every argument with shq', () => {
    expect(scriptCommand(['run-1', 'a b', "it's", '$(x)'], { root: true })).toEqual({ command: "bash -s -- run-1 'a b' 'it'\\''s' '$(x)'", stdinPrefix: '' });
    expect(scriptCommand([], { root: true }).command).toBe('bash -s --');
    expect(scriptCommand(['x'], { root: false }).command).toBe('sudo -n bash -s -- x');
  });

  it('keeps the sudo password off the command line', () => {
    const c = scriptCommand(['x'], { root: false, sudoPassword: 'pw; rm -rf /' });
    expect(c.command).not.toContain('pw');
    expect(c.stdinPrefix).toBe('pw; rm -rf /\n');
    expect(runBash(`set -n\n${c.command}\n`).status).toBe(0);
    expect(() => scriptCommand([], { root: false, sudoPassword: 'a\nb' })).toThrow(/line break/);
  });

  it('recognises sudo refusals', () => {
    expect(sudoProblem('sudo: a password is required')).toBe('password-required');
    expect(sudoProblem('sudo: 3 incorrect password attempts')).toBe('password-rejected');
    expect(sudoProblem('sudo: sorry, you must have a tty to run sudo')).toBe('tty-required');
    expect(sudoProblem('the script said sudo: a password is required')).toBeUndefined();
  });

  it("reads sudo's refusals only before the script printed anything, and only under sudo", () => {
    const before = new SudoWatch(true);
    before.stderrLine('sudo: a password is required');
    expect(before.problem).toBe('password-required');
    const after = new SudoWatch(true);
    after.stdoutLine();
    after.stderrLine('sudo: a password is required');
    expect(after.problem).toBeUndefined();
    const root = new SudoWatch(false);
    root.stderrLine('sudo: a password is required');
    expect(root.problem).toBeUndefined();
  });

  it('describes scripts without their contents', () => {
    expect(describeScript('#!/bin/bash\n# k8sprep phase prepare (Prepare) for host cp1: generated\n')).toBe('phase prepare');
    expect(describeScript('echo secret-token\n\necho b\n')).toBe('a 2-line script');
  });

  it('maps signals to shell exit statuses', () => {
    expect(signalExitStatus('TERM')).toBe(143);
    expect(signalExitStatus('SIGKILL')).toBe(137);
  });
});

describe('interactivePrompts', () => {
  it('asks one question at a time and caches answers per key file', async () => {
    const asked: string[] = [];
    let active = 0;
    const prompts = interactivePrompts({
      askPass: true,
      isTTY: true,
      ask: async (m) => {
        expect(++active).toBe(1);
        asked.push(m);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return `answer to ${m}`;
      },
    });
    const answers = await Promise.all([
      prompts.keyPassphrase('/k1'),
      prompts.keyPassphrase('/k2'),
      prompts.keyPassphrase('/k1'),
      prompts.password(),
      prompts.password(),
    ]);
    expect(answers).toEqual([
      'answer to Passphrase for /k1:',
      'answer to Passphrase for /k2:',
      'answer to Passphrase for /k1:',
      'answer to SSH/sudo password:',
      'answer to SSH/sudo password:',
    ]);
    expect(asked).toHaveLength(3);
  });

  it('without --ask-pass has no password; without a terminal says what to set', async () => {
    expect(await interactivePrompts({ askPass: false, isTTY: true, ask: () => Promise.reject(new Error('no')) }).password()).toBeUndefined();
    const noTty = interactivePrompts({ askPass: true, isTTY: false });
    await expect(noTty.keyPassphrase('/k')).rejects.toThrow(
      '/k is encrypted and there is no terminal to ask for its passphrase: set K8SPREP_SSH_KEY_PASSPHRASE',
    );
    await expect(noTty.password()).rejects.toThrow(/--ask-pass needs a terminal/);
  });

  it('noPrompts answers only what it was given', async () => {
    const p = noPrompts({ passphrases: { '/k': 'pp' }, password: 'pw' });
    expect(await p.keyPassphrase('/k')).toBe('pp');
    expect(await p.password()).toBe('pw');
    await expect(p.keyPassphrase('/other')).rejects.toThrow(/encrypted/);
  });
});
