/**
 * A new node's scripts, wrapped so the machine runs them itself (node script): the phase
 * scripts, numbered in run order, and a runner that runs them one after the other, stops at
 * the first that fails and logs everything to one file. Two wrappings of the same files:
 * cloud-init user-data (`write_files` + `runcmd`) and one bash script that writes them and
 * starts the runner. The scripts arrive with their secrets already filled in or redacted.
 */
import { stringify } from 'yaml';
import { heredoc } from './files.js';
import { shq } from './quote.js';

/** Where the node keeps its scripts (root only): running the runner again repeats the work idempotently. */
export const BOOT_DIR = '/var/lib/k8sprep/node-script';
export const BOOT_RUNNER = `${BOOT_DIR}/run.sh`;
export const BOOT_LOG = '/var/log/k8sprep-node-script.log';

export interface BootFile {
  path: string;
  /** Octal, as cloud-init's `permissions` takes it. */
  permissions: '0700';
  content: string;
}

export interface PhaseScript {
  phase: string;
  /** The bytes to run (secrets filled in or redacted). */
  text: string;
}

function runner(names: readonly string[]): string {
  return [
    '#!/bin/bash',
    `# k8sprep node script: runs this node's scripts in order and stops at the first that fails; the log is ${BOOT_LOG}.`,
    '# Every step looks before it changes anything: after fixing what failed, run this again.',
    'set -uo pipefail',
    'umask 077',
    `chmod 700 ${BOOT_DIR}`,
    `log=${BOOT_LOG}`,
    'run_id=node-script-$(date -u +%Y%m%dT%H%M%SZ)',
    // The log may quote what the scripts did with the token's files: root only, like them.
    'touch "$log" && chmod 600 "$log"',
    `k8sprep_log() { printf 'k8sprep: %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" | tee -a "$log"; }`,
    `for script in ${names.map(shq).join(' ')}; do`,
    '  k8sprep_log "$script begins"',
    `  if ! bash ${BOOT_DIR}/"$script" "$run_id" </dev/null 2>&1 | tee -a "$log"; then`,
    `    k8sprep_log "$script failed: the scripts after it did not run; fix the cause and run ${BOOT_RUNNER} again"`,
    '    exit 1',
    '  fi',
    'done',
    `k8sprep_log "all ${names.length} scripts succeeded"`,
    '',
  ].join('\n');
}

/** The phase scripts as `NN-<phase>.sh` (NN in run order, as a dry run's --out names them) and the runner, last. */
export function bootFiles(scripts: readonly PhaseScript[]): BootFile[] {
  const names = scripts.map((s, i) => `${String(i + 1).padStart(2, '0')}-${s.phase}.sh`);
  return [
    ...scripts.map((s, i) => ({ path: `${BOOT_DIR}/${names[i]}`, permissions: '0700' as const, content: s.text })),
    { path: BOOT_RUNNER, permissions: '0700', content: runner(names) },
  ];
}

/** `# ` before each line of the header. */
function comments(header: readonly string[]): string[] {
  return header.map((l) => `# ${l}`);
}

/** cloud-init user-data: the files (written before runcmd runs, in cloud-init's init stage), then the runner. */
export function cloudInitUserData(files: readonly BootFile[], header: readonly string[]): string {
  const doc = {
    write_files: files.map((f) => ({ path: f.path, owner: 'root:root', permissions: f.permissions, content: f.content })),
    // One command: runcmd's own script runs every line even after one failed; the runner stops.
    runcmd: [BOOT_RUNNER],
  };
  return ['#cloud-config', ...comments(header), stringify(doc, { lineWidth: 0, blockQuote: 'literal' })].join('\n');
}

/** One bash script, run as root on the machine: writes the same files, then runs the runner. */
export function bashBootScript(files: readonly BootFile[], header: readonly string[]): string {
  return [
    '#!/bin/bash',
    ...comments(header),
    'set -euo pipefail',
    '[ "$(id -u)" -eq 0 ] || { echo "k8sprep: run this as root" >&2; exit 1; }',
    'umask 077',
    `mkdir -p ${BOOT_DIR}`,
    `chmod 700 ${BOOT_DIR}`,
    ...files.flatMap((f) => [heredoc(`cat >${shq(f.path)}`, f.content), `chmod ${f.permissions} ${shq(f.path)}`]),
    `exec ${BOOT_RUNNER}`,
    '',
  ].join('\n');
}
