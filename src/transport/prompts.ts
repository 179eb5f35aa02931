/**
 * Asking the operator for secrets: a key's passphrase and the `--ask-pass` password.
 * The transports receive a CredentialPrompts so tests can inject answers; the real one
 * asks on the terminal with @inquirer/prompts, at most once per key file (and once for
 * the password) per process, one question at a time however many hosts connect at once.
 */
export interface CredentialPrompts {
  /** Passphrase for the encrypted private key at `keyFile`. Rejects when nobody can be asked. */
  keyPassphrase(keyFile: string): Promise<string>;
  /** The `--ask-pass` password (SSH and sudo); undefined when --ask-pass was not given. */
  password(): Promise<string | undefined>;
}

export const PASSPHRASE_ENV = 'K8SPREP_SSH_KEY_PASSPHRASE';

export interface InteractivePromptOptions {
  askPass: boolean;
  /** Default: whether stdin is a terminal. */
  isTTY?: boolean;
  /** Asks one hidden question (default: @inquirer/prompts `password`, drawn on stderr). */
  ask?: (message: string) => Promise<string>;
  /** Called when the operator cancels a question with Ctrl-C (the terminal is raw then: no SIGINT). */
  onCancel?: () => void;
}

/** A question the operator cancelled with Ctrl-C. */
export class PromptCancelled extends Error {
  constructor() {
    super('the question was cancelled (Ctrl-C)');
    this.name = 'PromptCancelled';
  }
}

async function inquirerAsk(message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  try {
    // stderr keeps stdout clean for --json.
    return await password({ message, mask: true }, { output: process.stderr });
  } catch (err) {
    if (err instanceof Error && err.name === 'ExitPromptError') throw new PromptCancelled();
    throw err;
  }
}

export function interactivePrompts(opts: InteractivePromptOptions): CredentialPrompts {
  const isTTY = opts.isTTY ?? process.stdin.isTTY === true;
  const ask = opts.ask ?? inquirerAsk;
  const passphrases = new Map<string, Promise<string>>();
  let passwordAnswer: Promise<string | undefined> | undefined;
  // Two prompts drawn at once would garble the terminal: chain them.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = (message: string): Promise<string> => {
    const next = queue
      .then(() => ask(message))
      .catch((err: unknown) => {
        if (err instanceof PromptCancelled) opts.onCancel?.();
        throw err;
      });
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    keyPassphrase(keyFile) {
      let answer = passphrases.get(keyFile);
      if (!answer) {
        answer = isTTY
          ? serialized(`Passphrase for ${keyFile}:`)
          : Promise.reject(new Error(`${keyFile} is encrypted and there is no terminal to ask for its passphrase: set ${PASSPHRASE_ENV}`));
        // Cached even when rejected: asking again for every host would repeat the same failure.
        answer.catch(() => undefined);
        passphrases.set(keyFile, answer);
      }
      return answer;
    },
    password() {
      if (!opts.askPass) return Promise.resolve(undefined);
      if (!passwordAnswer) {
        passwordAnswer = isTTY
          ? serialized('SSH/sudo password:')
          : Promise.reject(new Error('--ask-pass needs a terminal: set the variable named by ssh.passwordEnv instead'));
        passwordAnswer.catch(() => undefined);
      }
      return passwordAnswer;
    },
  };
}

/** Prompts that never ask: for tests and non-interactive callers. */
export function noPrompts(answers: { passphrases?: Record<string, string>; password?: string } = {}): CredentialPrompts {
  return {
    keyPassphrase: (keyFile) => {
      const p = answers.passphrases?.[keyFile];
      return p === undefined ? Promise.reject(new Error(`${keyFile} is encrypted: set ${PASSPHRASE_ENV}`)) : Promise.resolve(p);
    },
    password: () => Promise.resolve(answers.password),
  };
}
