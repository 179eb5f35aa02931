#!/bin/bash
# Removes what a crashed test run left behind (normally nothing: hosts die with the test
# process through PR_SET_PDEATHSIG). Run as root: test/hosts/cleanup.sh
#  - processes recorded in /tmp/k8sprep-th-*/pids (and half-made claims
#    /tmp/.k8sprep-th-claim-*), killed only while the PID still has the recorded
#    start time and the run's owner process (the recorded test process) is gone;
#  - then that run's directory and bridge (k8sth-<id>);
#  - bridges named k8sth-* that no run directory claims, and named netns k8sprep-th-*.
# Nothing is killed by name.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# "STATE STARTTIME" of a process (fields 3 and 22 of /proc/PID/stat).
state_start() { [ -r "/proc/$1/stat" ] && awk '{ sub(/^.*\) /, ""); print $1, $20 }' "/proc/$1/stat"; }

alive() { # alive PID START: the recorded process still runs (a zombie is already dead)
  local st
  [ -n "${1:-}" ] && st=$(state_start "$1" 2>/dev/null) && [ "${st#* }" = "${2:-x}" ] && [ "${st%% *}" != Z ]
}

for dir in /tmp/k8sprep-th-*/ /tmp/.k8sprep-th-claim-*/; do
  [ -d "$dir" ] || continue
  dir=${dir%/}
  owner_pid='' owner_start=''
  [ -f "$dir/owner" ] && read -r owner_pid owner_start <"$dir/owner"
  if alive "$owner_pid" "$owner_start"; then continue; fi # a running test's fleet
  if [ -f "$dir/pids" ]; then
    while read -r pid start; do
      alive "$pid" "$start" && kill -KILL "$pid" && echo "killed $pid"
    done <"$dir/pids"
  fi
  # The hosts' mounts live in their own namespaces; anything under dir here is not ours to
  # leave behind either.
  findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | while read -r m; do umount -l "$m"; done
  ip link del "k8sth-${dir##*/k8sprep-th-}" 2>/dev/null && echo "deleted bridge k8sth-${dir##*/k8sprep-th-}"
  rm -rf "$dir" && echo "removed $dir"
done

for br in $(ip -o link show type bridge | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
  case $br in k8sth-*) ;; *) continue ;; esac
  [ -d "/tmp/k8sprep-th-${br#k8sth-}" ] && continue
  ip link del "$br" && echo "deleted bridge $br"
done

for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
  case $ns in k8sprep-th-*) ip netns del "$ns" && echo "deleted netns $ns" ;; esac
done
exit 0
