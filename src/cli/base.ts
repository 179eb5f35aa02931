/**
 * Base for every k8sprep command: one place that turns typed errors into output and exit
 * codes (DESIGN §1): InputError and oclif's flag-parsing errors -> one line each on
 * stderr, exit 2, no stack trace. Everything else goes to oclif (exit 1).
 */
import { Command } from '@oclif/core';
import { InputError } from '../errors.js';

export abstract class BaseCommand extends Command {
  protected override async catch(err: Error & { parse?: unknown }): Promise<unknown> {
    if (err instanceof InputError) {
      process.stderr.write(`${err.message}\n`);
      return this.exit(2);
    }
    if (err.parse !== undefined) {
      // oclif's CLIParseError (unknown flag, bad option, exclusive flags): input, exit 2.
      // Its message is a header, indented reasons and a help hint: keep the reasons, one line each.
      const lines = err.message.split('\n').filter((l) => !/^The following errors? occurred:$|^See more help with/.test(l));
      process.stderr.write(`${lines.map((l) => l.trim()).join('\n')}\n`);
      return this.exit(2);
    }
    return super.catch(err);
  }
}
