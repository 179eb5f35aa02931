/**
 * Test-host fleets for the benchmarks: started fresh for one sample, root's dotfiles emptied,
 * and always stopped (also on Ctrl-C, also when the start itself is interrupted).
 */
import { startTestHosts, type StartOptions, type TestFleet, type TestHostSpec } from '../test/hosts/index.js';
import { isAborting, onAbort, once } from './common.js';

/**
 * The test hosts are overlays of this machine, so root's ~/.bashrc is this build machine's,
 * which runs `pyenv init` (over a second per session here) in every SSH session, as Debian's
 * bash reads ~/.bashrc for sshd's commands. A fresh CentOS or Arch install's root .bashrc
 * only sets aliases: empty it inside each host (its overlay only; this machine's stays), so
 * a session costs about what it costs on a real host, the same for every contender.
 */
async function freshRootDotfiles(fleet: TestFleet): Promise<void> {
  await Promise.all(
    fleet.hosts.map(async (h) => {
      const r = await h.exec(['sh', '-c', ': >/root/.bashrc && : >/root/.profile']);
      if (r.code !== 0) throw new Error(`${h.name}: could not empty root's dotfiles: ${r.stderr}`);
    }),
  );
}

/** Runs `fn` on a fresh fleet of `specs` and always stops it. */
export async function withFleet<T>(specs: readonly TestHostSpec[], opts: StartOptions, fn: (fleet: TestFleet) => Promise<T>): Promise<T> {
  if (isAborting()) throw new Error('interrupted');
  const starting = startTestHosts(specs, { timeoutMs: 60_000 + specs.length * 5_000, ...opts });
  const stop = once(async () => (await starting.catch(() => undefined))?.stop());
  const unregister = onAbort(stop);
  try {
    const fleet = await starting;
    await freshRootDotfiles(fleet);
    return await fn(fleet);
  } finally {
    await stop();
    unregister();
  }
}
