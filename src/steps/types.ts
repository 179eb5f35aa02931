import type { Cluster, Host, OsId } from '../cluster/types.js';
import type { LocalState } from '../state/local-state.js';

/** What the bootstrap steps render from besides the cluster: the local state and the run's options. */
export interface BootstrapInputs {
  /** The local state (PKI, CA hash, token id); absent for actions that place nothing (node reset). */
  state?: LocalState | undefined;
  /** --wait: how long the nodes may take to become Ready. */
  waitSeconds: number;
  /** The host this action runs `kubeadm init` on (node init: the first control plane; node join: none). */
  initHost?: string | undefined;
  /** The nodes to wait for until Ready (default: every host of the cluster). */
  waitFor?: readonly string[] | undefined;
  /** Control planes this action takes out of the cluster: no longer haproxy backends. */
  leaving?: readonly string[] | undefined;
}

/** What a step knows when it renders its fragments: pure data, no I/O. */
export interface StepContext {
  cluster: Cluster;
  host: Host;
  /** Declared in the cluster file or detected over SSH before rendering. */
  os: OsId;
  /**
   * Placeholder for a secret value (token, key, password). Only ever place it inside a
   * file body (heredoc), never on a command line. The dry run shows `<redacted:NAME>`;
   * the real run substitutes the value. See src/script/secrets.ts.
   */
  secret(name: string): string;
  /** For the bootstrap steps; absent for host preparation alone. */
  bootstrap?: BootstrapInputs | undefined;
}

/**
 * The step contract (DESIGN §3). Fragments are bash; the renderer wraps each in a
 * function, so `local` works and `return` ends the fragment.
 * - `check` is evaluated as an `if` condition (bash disables `set -e` there): its exit
 *   status is the answer, so chain tests with `&&`. Exit 0 = already in the desired state.
 * - `apply` runs with `set -euo pipefail`: any failing command fails the step.
 * - `verify` runs after `apply`; when a step has none, `check` is run again, so every
 *   step proves a second run would report it unchanged.
 */
export interface Step {
  /** kebab-case, unique across phases; what `--only` / `--skip` name. */
  id: string;
  title: string;
  /**
   * A guard protects the other steps of its script (e.g. "this host runs the OS the script
   * was rendered for"): it runs whatever --only / --skip say, and --skip cannot name it.
   */
  guard?: { why: string };
  appliesTo(ctx: StepContext): boolean;
  /** Shell functions shared by check, apply and verify; rendered once, before them. */
  /**
   * Shell functions shared by check, apply and verify; rendered before them. A list's pieces are
   * rendered once per script even when several steps name the same one.
   */
  helpers?(ctx: StepContext): string | readonly string[];
  check(ctx: StepContext): string;
  apply(ctx: StepContext): string;
  verify?(ctx: StepContext): string;
}
