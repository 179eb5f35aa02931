/**
 * k8sprep's help (`k8sprep help [COMMAND]`, `--help`, `-h`): oclif's, with two changes.
 * Usage lines list every flag on its own, `[--name VALUE]`: oclif's docopts grouping of
 * `exclusive`/`dependsOn` flags leaves fragments like `[--json | ]` when the flags they
 * name were already grouped elsewhere (the FLAGS section says what goes with what).
 * A subject that is no command or topic gets the not-found line with its suggestion.
 */
import { CommandHelp, Help } from '@oclif/core';
import type { Command } from '@oclif/core';
import { NOT_FOUND_EXIT, unknownCommandLine } from './not-found.js';

type AnyFlag = Command.Flag.Any;

/** `FILE`, `N`, `centos7|arch`: the flag's helpValue, else its options. */
function valueName(flag: AnyFlag): string {
  if (flag.type !== 'option') return '';
  if (flag.helpValue !== undefined) return Array.isArray(flag.helpValue) ? flag.helpValue.join(' ') : flag.helpValue;
  if (flag.options) return flag.options.join('|');
  return 'VALUE';
}

class K8sprepCommandHelp extends CommandHelp {
  protected override defaultUsage(): string {
    const args = Object.values(this.command.args ?? {})
      .filter((a) => !a.hidden)
      .map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`));
    const visible = Object.values(this.command.flags ?? {}).filter((f) => !f.hidden);
    // The command's own flags first; the ones every command takes (--no-color) at the end.
    const flags = [...visible.filter((f) => f.helpGroup !== 'GLOBAL'), ...visible.filter((f) => f.helpGroup === 'GLOBAL')].map((f) => {
      const name = f.char ? `-${f.char}` : `--${f.name}`;
      const usage = f.type === 'option' ? `${name} ${valueName(f)}` : name;
      return f.required ? usage : `[${usage}]`;
    });
    return ['<%= command.id %>', ...args, ...flags].join(' ');
  }
}

export default class K8sprepHelp extends Help {
  protected override CommandHelpClass = K8sprepCommandHelp;

  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv);
    } catch (err) {
      // oclif found the subject (its own argv rules) but no such command or topic.
      const unknown = err instanceof Error ? /^Command (\S+) not found\.$/.exec(err.message)?.[1] : undefined;
      if (unknown === undefined) throw err;
      process.stderr.write(`${unknownCommandLine(this.config, unknown)}\n`);
      process.exitCode = NOT_FOUND_EXIT;
    }
  }
}
