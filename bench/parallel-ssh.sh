#!/bin/bash
# The hand-made baseline of the fan-out benchmark: the scripts k8sprep renders
# (`node init --dry-run --show-secrets --out SCRIPTS`), sent by OpenSSH's client to every host
# at once with `xargs -P`, one `ssh HOST bash -s` per host per phase. Phases run in order
# with a barrier between them, as k8sprep's preflight stage ends before any host starts prep.
#
# usage: parallel-ssh.sh SCRIPTS HOSTS_FILE PARALLEL RUN_ID KEY KNOWN_HOSTS OUT
#   HOSTS_FILE: one "NAME ADDRESS" a line. OUT gets NAME.PHASE.log (stdout+stderr) and
#   NAME.PHASE.rc (ssh's exit status) for every host and phase script.
set -euo pipefail
scripts=$1 hosts=$2 parallel=$3 run_id=$4 key=$5 known_hosts=$6 out=$7
export scripts run_id key known_hosts out

# shellcheck disable=SC2317 # called by xargs, through bash -c
one_host() { # NAME ADDRESS PHASE-FILE
  local script=$scripts/$1/$3 rc=0
  [ -f "$script" ] || return 0
  # A host that failed an earlier phase stops there, as in k8sprep.
  if cat "$out/$1".*.rc 2>/dev/null | grep -qv '^0$'; then return 0; fi
  ssh -F /dev/null -i "$key" -o UserKnownHostsFile="$known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes "root@$2" bash -s -- "$run_id" <"$script" >"$out/$1.$3.log" 2>&1 || rc=$?
  echo "$rc" >"$out/$1.$3.rc"
}
export -f one_host

status=0
for phase in $(find "$scripts" -mindepth 2 -name '*.sh' -printf '%f\n' | sort -u); do
  # shellcheck disable=SC2016 # expanded by the bash that xargs starts
  xargs -P "$parallel" -L 1 bash -c 'one_host "$2" "$3" "$1"' _ "$phase" <"$hosts" || status=1
done
exit "$status"
