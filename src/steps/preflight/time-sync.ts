/**
 * Whether chronyd has synchronised the clock (`chronyc tracking`'s Leap status), as the fact
 * FACT.timeSync. Not a problem: on a fresh host chronyd may still be reaching its sources
 * (or is not installed yet: prep installs and starts it), so it is a warning on stderr and a
 * fact the summary shows. The cross-host skew check (cross-host.ts) is what refuses clocks
 * that disagree.
 */
import { FACT, TIME_SYNC } from './facts.js';

export const TIME_SYNC_CHECK = String.raw`k8sprep_preflight_time_sync() {
  local tracking leap
  if ! command -v chronyc >/dev/null 2>&1 || ! tracking=$(chronyc tracking 2>/dev/null); then
    k8sprep_fact ${FACT.timeSync} ${TIME_SYNC.unknown}
    return 0
  fi
  leap=$(printf '%s\n' "$tracking" | sed -n 's/^Leap status[[:space:]]*:[[:space:]]*//p' | head -n 1)
  case $leap in
    Normal | "Insert second" | "Delete second") k8sprep_fact ${FACT.timeSync} ${TIME_SYNC.synchronised} ;;
    *)
      k8sprep_fact ${FACT.timeSync} ${TIME_SYNC.unsynchronised}
      echo "k8sprep: warning: chronyd has not synchronised the clock (chronyc tracking: Leap status: ${'$'}{leap:-none}): certificates, tokens and etcd need a true clock; check that its time sources are reachable (chronyc sources)" >&2 ;;
  esac
}`;
