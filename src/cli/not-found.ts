/**
 * A command that does not exist (`k8sprep node jion`, `k8sprep help node jion`): the closest
 * command, always written with the CLI's space separator (`node join`, never oclif's
 * internal `node:join`). On a terminal, @oclif/plugin-not-found asks "Did you mean ...?"
 * and runs it when confirmed; without one (scripts, CI) nobody can answer, so the
 * suggestion is printed as one line. Exit 127 either way, like a shell's unknown command.
 */
import { type Hook, toConfiguredId } from '@oclif/core';
import type { Config } from '@oclif/core/interfaces';
import askAboutSuggestion from '@oclif/plugin-not-found';

export const NOT_FOUND_EXIT = 127;

/** Edit distance (insertions, deletions, substitutions), two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The visible command closest to `id` (both in oclif's `topic:command` form). */
function closestCommand(config: Config, id: string): string | undefined {
  const visible = config.commands.filter((c) => !c.hidden).map((c) => c.id);
  let best: { id: string; distance: number } | undefined;
  for (const candidate of visible) {
    const distance = editDistance(id, candidate);
    if (!best || distance < best.distance) best = { id: candidate, distance };
  }
  return best?.id;
}

/** One line: what was typed, the closest command, and where the list is. */
export function unknownCommandLine(config: Config, id: string): string {
  const typed = toConfiguredId(id, config);
  // `k8sprep --bogus`: a flag where a command belongs; no command is close to it.
  const suggestion = id.startsWith('-') ? undefined : closestCommand(config, id);
  const topic = id.split(':')[0] ?? '';
  const help = config.findTopic(topic) ? `${config.bin} help ${topic}` : `${config.bin} help`;
  const didYouMean = suggestion ? `: did you mean "${toConfiguredId(suggestion, config)}"?` : '';
  return `${JSON.stringify(typed)} is not a ${config.bin} command${didYouMean} (${help} lists the commands)`;
}

const hook: Hook.CommandNotFound = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY) return askAboutSuggestion.call(this, opts);
  process.stderr.write(`${unknownCommandLine(opts.config, opts.id)}\n`);
  return this.exit(NOT_FOUND_EXIT);
};

export default hook;
