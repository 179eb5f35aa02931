/**
 * Stopping a script that runs over SSH (Ctrl-C). sshd offers two ways that do not work
 * here: closing the channel leaves a script without a terminal running (it only dies if it
 * writes again), and the SSH "signal" request is refused for root logins and reaches only
 * sudo (not the script it started) for other users. So the command line announces its PID
 * on stderr first — sshd made it a session leader, so it is the process group of the login
 * shell, sudo, bash -s and every step command — and stopping it is a second, short session
 * on the same connection that sends TERM to that whole group (through sudo when not root).
 */
import type { Client } from 'ssh2';
import { shq } from '../script/quote.js';
import { scriptCommand } from './command.js';

const SESSION_LINE = '::k8sprep-session::';

/** `command`, first telling the runner (on stderr) the process group it runs in. */
export function announcingSession(command: string): string {
  return `echo "${SESSION_LINE} $$" >&2; ${command}`;
}

/** The process group from the announcement line, or undefined for any other line. */
export function sessionGroup(stderrLine: string): number | undefined {
  const m = /^::k8sprep-session:: (\d+)$/.exec(stderrLine);
  return m ? Number(m[1]) : undefined;
}

/**
 * TERM to process group `pgid` on the host; resolves when done, or after `timeoutMs`
 * whatever happened. The session costs a login (the user's shell rc files run, sshd's
 * bash sources ~/.bashrc), which can take seconds on a busy host: hence the generous wait.
 */
export function stopSessionGroup(client: Client, pgid: number, opts: { root: boolean; sudoPassword?: string | undefined }, timeoutMs = 10_000): Promise<void> {
  const { command, stdinPrefix } = scriptCommand([], opts);
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      client.exec(command, (err, channel) => {
        if (err) return done();
        channel.on('error', () => undefined);
        channel.on('close', done);
        channel.resume();
        channel.stderr.resume();
        // The leading `-` (a process group, not a PID) is script text: shq refuses option-like values.
        channel.end(`${stdinPrefix}kill -TERM -- -${shq(pgid)} 2>/dev/null || true\n`);
      });
    } catch {
      // The connection is already gone, and with it the session's output: nothing to stop.
      done();
    }
  });
}
