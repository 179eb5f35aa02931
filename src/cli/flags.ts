/** Flags shared by the commands (DESIGN §1). Every flag that takes a value names it (`--concurrency=N`). */
import { Flags } from '@oclif/core';
import { durationToHours } from '../cluster/duration.js';
import { InputError } from '../errors.js';

export const configFlag = {
  config: Flags.string({ char: 'c', description: 'cluster file [default: ./cluster.yaml]', helpValue: 'FILE' }),
};

/** A single host without a cluster file: `--host ADDRESS --os centos7 --role control-plane,worker --version 1.30.6`. */
const singleHostFlags = {
  host: Flags.string({ description: 'run on one host given by address, without a cluster file', helpValue: 'ADDRESS', helpGroup: 'SINGLE HOST' }),
  os: Flags.string({ description: 'OS of --host: centos7 or arch', options: ['centos7', 'arch'], helpValue: 'OS', helpGroup: 'SINGLE HOST' }),
  role: Flags.string({ description: 'roles of --host, comma-separated [default: control-plane,worker]', helpValue: 'ROLES', helpGroup: 'SINGLE HOST' }),
  version: Flags.string({ description: 'Kubernetes version for --host', helpValue: 'X.Y.Z', helpGroup: 'SINGLE HOST' }),
  user: Flags.string({ description: 'SSH user for --host [default: root]', helpValue: 'USER', helpGroup: 'SINGLE HOST' }),
};

/** Only errors and the summary's verdict: for cron jobs and scripts that log what matters. */
export const quietFlag = {
  quiet: Flags.boolean({ char: 'q', description: 'print only errors and the final summary line', exclusive: ['verbose'] }),
};

/** Commands that run phases on the cluster file's hosts (node join, node reset). */
export const clusterRunFlags = {
  ...configFlag,
  hosts: Flags.string({ description: 'only these hosts (comma-separated names)', helpValue: 'NAMES' }),
  'dry-run': Flags.boolean({ description: 'print the exact scripts instead of running them; contacts no host' }),
  out: Flags.string({ description: 'with --dry-run: write DIR/<host>/<NN>-<phase>.sh instead of printing', helpValue: 'DIR' }),
  'show-secrets': Flags.boolean({ description: 'show keys, tokens and passwords instead of <redacted:NAME>' }),
  concurrency: Flags.integer({ description: 'hosts worked on at once (1-500)', default: 10, min: 1, max: 500, helpValue: 'N' }),
  only: Flags.string({ description: 'run only these steps (comma-separated ids)', helpValue: 'STEP,...' }),
  skip: Flags.string({ description: 'skip these steps (comma-separated ids)', helpValue: 'STEP,...' }),
  'accept-new-host-keys': Flags.boolean({ description: 'trust and record host keys not yet in ~/.ssh/known_hosts' }),
  'ask-pass': Flags.boolean({ description: 'ask once for the SSH/sudo password' }),
  verbose: Flags.boolean({ char: 'v', description: 'also stream every host output line, prefixed with its name' }),
  ...quietFlag,
  json: Flags.boolean({ description: 'print the summary as JSON' }),
};

/** node init: also one host without a cluster file. */
export const hostRunFlags = { ...clusterRunFlags, ...singleHostFlags };

/** `--hosts` when the command is about those hosts (required). */
export function nodeHostsFlag(description: string) {
  return Flags.string({ description, helpValue: 'NAMES', required: true });
}

/** A duration flag's value (`30d`, `720h`, `1h30m`) in hours; anything else is `--flag: reason` (exit 2). */
export function durationFlagHours(flag: string, value: string): number {
  try {
    return durationToHours(value);
  } catch {
    throw InputError.single(`--${flag}`, `${JSON.stringify(value)} is not a duration like 30d, 720h or 1h30m`);
  }
}

/** The shared flags of commands that read control planes over SSH (certs check --remote, certs renew). */
export const sshHostFlags = {
  hosts: hostRunFlags.hosts,
  'accept-new-host-keys': hostRunFlags['accept-new-host-keys'],
  'ask-pass': hostRunFlags['ask-pass'],
  quiet: hostRunFlags.quiet,
};
