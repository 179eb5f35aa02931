/**
 * The fixed head of every host script: strict mode, the run id (first argument; the
 * runner passes it, a hand-run copy makes its own), the marker protocol the runner
 * parses, and the file helpers used by files.ts fragments.
 *
 * Marker lines on stdout: `::k8sprep:: <step-id> <begin|unchanged|changed|failed>`;
 * fact lines: `::k8sprep-fact:: <key> <value>`. Each `begin` is also written to stderr:
 * the two streams reach the runner unordered against each other, and that copy is how it
 * knows which step wrote which stderr line (the summary shows the failing step's).
 */
export const MARKER_PREFIX = '::k8sprep::';
export const FACT_PREFIX = '::k8sprep-fact::';
export const NOTE_PREFIX = '::k8sprep-note::';

export const PREAMBLE = String.raw`set -euo pipefail
export LC_ALL=C
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
K8SPREP_RUN_ID=${'$'}{1:-manual-$(date -u +%Y%m%dT%H%M%SZ)}
K8SPREP_BACKUP_ROOT=/var/lib/k8sprep/backup
K8SPREP_BACKUP_DIR=$K8SPREP_BACKUP_ROOT/$K8SPREP_RUN_ID
K8SPREP_STEP=

k8sprep_mark() { printf '${MARKER_PREFIX} %s %s\n' "$1" "$2"; }
# k8sprep_fact KEY VALUE: a fact for the runner's cross-host checks (one line, no newlines).
k8sprep_fact() { printf '${FACT_PREFIX} %s %s\n' "$1" "$(printf '%s' "$2" | tr '\n' ' ')"; }
k8sprep_on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$K8SPREP_STEP" ]; then k8sprep_mark "$K8SPREP_STEP" failed; fi
}
trap k8sprep_on_exit EXIT
k8sprep_die() { echo "k8sprep: $*" >&2; exit 1; }

# Keeps the first pre-existing copy of a file this run replaces; a file this run creates is
# listed in the run's .k8sprep-created. The oldest record of a path is how it was before
# k8sprep first touched it (node reset --purge).
k8sprep_backup() {
  local path=$1
  if [ -e "$path" ] && [ ! -e "$K8SPREP_BACKUP_DIR$path" ]; then
    mkdir -p "$K8SPREP_BACKUP_DIR$(dirname "$path")" &&
      chmod 700 "$K8SPREP_BACKUP_ROOT" &&
      cp -a "$path" "$K8SPREP_BACKUP_DIR$path"
  elif [ ! -e "$path" ] && ! grep -qxF -- "$path" "$K8SPREP_BACKUP_DIR/.k8sprep-created" 2>/dev/null; then
    mkdir -p "$K8SPREP_BACKUP_DIR" &&
      chmod 700 "$K8SPREP_BACKUP_ROOT" &&
      printf '%s\n' "$path" >>"$K8SPREP_BACKUP_DIR/.k8sprep-created"
  fi
}
# k8sprep_write_file PATH MODE <content: temp file beside the target, chmod, backup, mv;
# leaves an identical file (same content and mode) alone and never leaves the temp file behind.
k8sprep_write_file() {
  local path=$1 mode=$2 tmp
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$path.k8sprep.XXXXXX")
  if ! { cat >"$tmp" && chmod "$mode" "$tmp"; }; then rm -f "$tmp"; return 1; fi
  if [ -f "$path" ] && [ ! -L "$path" ] && [ "$(stat -c %a "$path")" = "$mode" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 0
  fi
  if ! { k8sprep_backup "$path" && mv -f "$tmp" "$path"; }; then rm -f "$tmp"; return 1; fi
}
# k8sprep_fill MARKER VALUE... <template: the template with each MARKER replaced by its VALUE,
# a value known only on the host (an interface, the node's IP); only letters, digits and ._:- pass.
k8sprep_fill() {
  local args=()
  while [ "$#" -ge 2 ]; do
    case $2 in '' | *[!A-Za-z0-9_.:-]*) k8sprep_die "cannot put \"$2\" in place of $1 in a file" ;; esac
    args+=(-e "s/$1/$2/g")
    shift 2
  done
  sed "${'$'}{args[@]}"
}
# k8sprep_note TEXT: a line for the summary (not a failure).
k8sprep_note() { printf '${NOTE_PREFIX} %s\n' "$(printf '%s' "$*" | tr '\n' ' ')"; }
# k8sprep_file_matches PATH MODE <content: true when the file has exactly this content and mode.
k8sprep_file_matches() {
  [ -f "$1" ] && [ "$(stat -c %a "$1")" = "$2" ] && cmp -s - "$1"
}
k8sprep_run_step() {
  local id=$1 fn=$2
  K8SPREP_STEP=$id
  k8sprep_mark "$id" begin
  k8sprep_mark "$id" begin >&2
  if "$fn"_check; then
    k8sprep_mark "$id" unchanged
  else
    "$fn"_apply
    "$fn"_verify || k8sprep_die "step $id: not in the desired state after apply"
    k8sprep_mark "$id" changed
  fi
  K8SPREP_STEP=
}
`;
