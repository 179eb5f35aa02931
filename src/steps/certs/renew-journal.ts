/**
 * The renewal's journal on the host: /var/lib/k8sprep/renew/<run-id>/ (0700) holds
 *   staged.list  the targets, written before the first staged file exists;
 *   commit.sh    written (temp file + rename) once every new file is staged beside its
 *                target as `<target>.k8sprep-<run-id>` and the backup is complete: THE
 *                COMMIT POINT. Before it the host has only its old files (plus staged
 *                copies a later run deletes); after it the renewal is decided and
 *                commit.sh, idempotent, takes the host to the complete new set;
 *   pid, lock    the running commit.sh (flock: never two at once);
 *   log          commit.sh's output; swapped, restarted: how far it got;
 *   status       `done`, `failed <reason>` or `rolled-back`: present once finished.
 * A run without a status was interrupted (the connection lost, the machine rebooted): the
 * next `certs renew` on that host finishes it first, rolling forward (commit.sh again) or
 * back (delete the staged copies) — so a host never keeps a mix of old and new files.
 *
 * commit.sh runs detached (setsid, output to its log, SIGHUP/SIGPIPE ignored): a lost SSH
 * connection does not stop it halfway; the session only follows its log.
 */
import { RENEW_STATE_DIR } from '../../pki/layout.js';

export const RENEW_EVENT = '::k8sprep-renew::';

/** Bash shared by the apply and the recovery script (after PREAMBLE). */
export const JOURNAL_HELPERS = String.raw`K8SPREP_RENEW_ROOT=${RENEW_STATE_DIR}
k8sprep_event() { printf '%s %s\n' '${RENEW_EVENT}' "$*"; }

# k8sprep_renew_follow DIR: runs DIR/commit.sh detached and streams its log until it exits
# (or attaches to the one already running); fails unless it finished with status done.
k8sprep_renew_follow() {
  local dir=$1 pid='' i status
  # No commit.sh holds the lock: a pid file left by a killed one is stale.
  if flock -n "$dir/lock" true; then rm -f "$dir/pid"; fi
  touch "$dir/log"
  chmod 600 "$dir/log"
  setsid bash "$dir/commit.sh" </dev/null >>"$dir/log" 2>&1 &
  # commit.sh writes its own PID (setsid may fork, so $! is not always it).
  for ((i = 0; i < 100; i++)); do
    [ -s "$dir/pid" ] && break
    sleep 0.1
  done
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  [ -n "$pid" ] || k8sprep_die "$dir/commit.sh did not start; see $dir/log"
  tail -n +1 -s 0.2 -f --pid="$pid" "$dir/log"
  status=$(cat "$dir/status" 2>/dev/null || echo 'interrupted (no status)')
  [ "$status" = 'done' ] || k8sprep_die "renewal ${'$'}{dir##*/}: $status"
}

# Finishes every renewal an earlier run left without a status: forward when committed,
# back (staged copies deleted) when not.
k8sprep_renew_recover() {
  local dir run
  for dir in "$K8SPREP_RENEW_ROOT"/*/; do
    dir=${'$'}{dir%/}
    if [ ! -d "$dir" ] || [ -e "$dir/status" ]; then continue; fi
    run=${'$'}{dir##*/}
    if [ -e "$dir/commit.sh" ]; then
      k8sprep_event recover-forward "$run"
      k8sprep_renew_follow "$dir"
    else
      k8sprep_event recover-back "$run"
      k8sprep_renew_unstage "$dir"
    fi
  done
  return 0
}

# k8sprep_renew_unstage DIR: before the commit point, undo: delete the staged copies.
k8sprep_renew_unstage() {
  local dir=$1 run=${'$'}{1##*/} target
  if [ -f "$dir/staged.list" ]; then
    while IFS= read -r target; do
      if [ -n "$target" ]; then rm -f -- "$target.k8sprep-$run"; fi
    done <"$dir/staged.list"
  fi
  echo rolled-back >"$dir/status"
}
`;
