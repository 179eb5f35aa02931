/**
 * The script that renews one control plane (see journal.ts for the protocol): check the
 * preconditions and that nothing changed since the files were read, back up
 * /etc/kubernetes/pki and the kubeconfigs, stage every new file beside its target (same
 * owner and mode), commit, and follow the detached commit.sh. Every file body is a secret
 * placeholder (secrets.ts): the dry run shows `<redacted:NAME>`, the real run the bytes.
 * Bash reads the whole script before k8sprep_renew_main runs (the call is its last line).
 */
import type { Host } from '../../cluster/types.js';
import { KUBE_DIR } from '../../pki/layout.js';
import type { HostRenewalPlan } from '../../pki/renew-plan.js';
import { heredoc } from '../../script/files.js';
import { PREAMBLE } from '../../script/preamble.js';
import { shq } from '../../script/quote.js';
import { secretRef } from '../../script/secrets.js';
import { renderCommitScript } from './renew-commit.js';
import { JOURNAL_HELPERS } from './renew-journal.js';

export interface ApplyScriptInput {
  host: Host;
  plan: HostRenewalPlan;
  waitSeconds: number;
  /** The node's apiserver port (its manifest's --secure-port). */
  apiserverPort: number;
}

const STAGE_HELPERS = String.raw`# k8sprep_renew_stage TARGET <content: the new file as TARGET.k8sprep-<run>, TARGET's owner and mode.
k8sprep_renew_stage() {
  local target=$1 staged=$1.k8sprep-$K8SPREP_RUN_ID
  if [ ! -f "$target" ]; then echo "k8sprep: $target is no longer there" >&2; return 1; fi
  if ! { (umask 077 && cat >"$staged") && chown --reference="$target" "$staged" && chmod --reference="$target" "$staged"; }; then
    rm -f -- "$staged"
    echo "k8sprep: could not stage $staged" >&2
    return 1
  fi
  k8sprep_event staged "$target"
}

k8sprep_renew_preconditions() {
  local dir
  command -v crictl >/dev/null 2>&1 || k8sprep_die "crictl is not installed: the static pods could not be restarted"
  command -v curl >/dev/null 2>&1 || k8sprep_die "curl is not installed: the apiserver's health could not be checked"
  systemctl is-active --quiet kubelet || k8sprep_die "the kubelet is not running: nothing would restart the static pods"
  for dir in "$K8SPREP_RENEW_ROOT"/*/; do
    if [ -d "$dir" ] && [ ! -e "$dir/status" ]; then k8sprep_die "renewal $(basename "$dir") is unfinished on this host"; fi
  done
}
`;

export function renderApplyScript(input: ApplyScriptInput): string {
  const { host, plan } = input;
  const targets = plan.files.map((f) => f.target);
  const expected = plan.expected.map((e) => `${e.sha256}  ${e.target}`).join('\n');
  const stage = plan.files.map((f) => `  ${heredoc(`k8sprep_renew_stage ${shq(f.target)}`, secretRef(f.secret), '|| return 1')}`);
  const commit = renderCommitScript({ host, targets, waitSeconds: input.waitSeconds, apiserverPort: input.apiserverPort });
  return [
    '#!/bin/bash',
    `# k8sprep certs-renew for host ${host.name}: generated, do not edit.`,
    PREAMBLE,
    JOURNAL_HELPERS,
    STAGE_HELPERS,
    'k8sprep_renew_unchanged() {',
    `  ${heredoc('sha256sum --quiet -c', expected, '>&2')}`,
    '}',
    '',
    'k8sprep_renew_files() {',
    ...stage,
    '}',
    '',
    'k8sprep_renew_commit_script() {',
    `  ${heredoc('cat', commit)}`,
    '}',
    '',
    'k8sprep_renew_main() {',
    '  local dir=$K8SPREP_RENEW_ROOT/$K8SPREP_RUN_ID conf',
    '  k8sprep_renew_preconditions',
    '  k8sprep_renew_unchanged || k8sprep_die "files changed since k8sprep read them: nothing was replaced; run certs renew again"',
    '  mkdir -p "$K8SPREP_RENEW_ROOT" && chmod 700 "$K8SPREP_RENEW_ROOT"',
    '  mkdir -m 700 "$dir" || k8sprep_die "$dir exists already"',
    '  date -u +%Y-%m-%dT%H:%M:%S.%NZ >"$dir/started"',
    `  printf '%s\\n' ${targets.map(shq).join(' ')} >"$dir/staged.list"`,
    `  k8sprep_backup ${KUBE_DIR}/pki`,
    `  for conf in ${KUBE_DIR}/*.conf; do`,
    '    if [ -f "$conf" ]; then k8sprep_backup "$conf"; fi',
    '  done',
    '  k8sprep_event backup "$K8SPREP_BACKUP_DIR"',
    '  if ! k8sprep_renew_files; then',
    '    k8sprep_renew_unstage "$dir"',
    '    k8sprep_die "staging failed: nothing was replaced (staged copies removed)"',
    '  fi',
    '  sync',
    '  k8sprep_renew_commit_script >"$dir/commit.sh.tmp"',
    '  chmod 700 "$dir/commit.sh.tmp"',
    '  sync',
    '  # The commit point: from here on the renewal completes, now or at the next run.',
    '  mv -f "$dir/commit.sh.tmp" "$dir/commit.sh"',
    '  k8sprep_event committed',
    '  k8sprep_renew_follow "$dir"',
    '}',
    '',
    '# stdin is this script: nothing it runs may read from it.',
    'k8sprep_renew_main </dev/null',
    '',
  ].join('\n');
}

/** The script that only finishes earlier renewals (run before reading again). */
export function renderRecoverScript(host: Host): string {
  return [
    '#!/bin/bash',
    `# k8sprep certs-recover for host ${host.name}: finishes interrupted renewals. Generated, do not edit.`,
    PREAMBLE,
    JOURNAL_HELPERS,
    'k8sprep_renew_recover </dev/null',
    '',
  ].join('\n');
}
