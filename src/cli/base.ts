/**
 * Base for every k8sprep command: the flags every command takes (--no-color), and one
 * place that turns typed errors into output and exit codes (DESIGN §1): InputError and
 * every flag-parsing failure -> one line each on stderr, exit 2, no stack trace.
 * Everything else goes to oclif (exit 1).
 */
import { Command, Flags } from '@oclif/core';
import type { Input, ParserOutput } from '@oclif/core/interfaces';
import { InputError } from '../errors.js';
import { parseFailure } from './parse-errors.js';

/** oclif's FlagOutput / ArgOutput (not exported by @oclif/core/interfaces). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Output = { [name: string]: any };

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    'no-color': Flags.boolean({ description: 'no colours in the output (also: NO_COLOR=1 in the environment)', helpGroup: 'GLOBAL' }),
  };

  protected override async init(): Promise<void> {
    // ansis (oclif) and colorette (listr2) read --no-color from argv themselves; the prompts
    // (and anything else loaded later) only read NO_COLOR, so the flag becomes the variable.
    if (this.argv.includes('--no-color')) process.env.NO_COLOR = '1';
    await super.init();
  }

  /** Whatever oclif's parser throws (bad value, missing value, unknown flag) is invalid input. */
  protected override async parse<F extends Output, B extends Output, A extends Output>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (err) {
      throw parseFailure(err);
    }
  }

  protected override async catch(err: Error): Promise<unknown> {
    if (err instanceof InputError) {
      process.stderr.write(`${err.message}\n`);
      return this.exit(2);
    }
    return super.catch(err);
  }
}
