/**
 * The facts preflight prints (parsed by src/run/facts.ts): identity for the cross-host checks
 * (hostname, product_uuid, machine-id, MAC addresses), kernel, cgroup version and the clock's
 * sync state for the summary, and the clock, printed last so it is read as close as possible
 * to when the runner receives it.
 */
export const FACT = {
  hostname: 'hostname',
  productUuid: 'product_uuid',
  machineId: 'machine_id',
  /** Space-separated `<interface>=<mac>` pairs. */
  macs: 'macs',
  /**
   * `date +%s` on the host. The runner notes when it received the line (src/run/facts.ts),
   * so skew is measured against one reference clock, not against when each host happened to run.
   */
  clock: 'clock',
  /** `uname -r`. */
  kernel: 'kernel',
  /** `v1` or `v2`: the cgroup hierarchy mounted at /sys/fs/cgroup. */
  cgroup: 'cgroup',
  /** Whether chronyd has synchronised the clock: one of TIME_SYNC (time-sync.ts prints it). */
  timeSync: 'time_sync',
} as const;

/**
 * Values of FACT.timeSync. `unsynchronised` is a warning, never a failure (a fresh host's
 * chronyd may still be reaching its sources): the summary shows it. `unknown`: no chronyd
 * answered (not installed or not running yet; prep installs and starts it).
 */
export const TIME_SYNC = { synchronised: 'synchronised', unsynchronised: 'unsynchronised', unknown: 'unknown' } as const;

/**
 * Interfaces whose MACs are not the machine's: CNI and kube-proxy devices (calico gives every
 * cali* the same ee:ee:ee:ee:ee:ee), container bridges and the pod ends of veth pairs.
 */
const VIRTUAL_INTERFACES = 'lo | cali* | tunl* | vxlan* | flannel* | cni* | kube-ipvs* | nodelocaldns | docker* | veth*';

export const FACTS_FUNCTION = String.raw`k8sprep_preflight_facts() {
  local uuid="" machine_id="" macs="" dev name mac
  k8sprep_fact ${FACT.hostname} "$(uname -n)"
  # Unreadable or absent (VMs without DMI): unknown, never a value shared with other hosts.
  if [ -r /sys/class/dmi/id/product_uuid ]; then
    uuid=$(tr -d '[:space:]' </sys/class/dmi/id/product_uuid 2>/dev/null | tr '[:upper:]' '[:lower:]') || uuid=""
  fi
  if [ -n "$uuid" ]; then k8sprep_fact ${FACT.productUuid} "$uuid"; fi
  if [ -r /etc/machine-id ]; then machine_id=$(tr -d '[:space:]' </etc/machine-id); fi
  if [ -n "$machine_id" ]; then k8sprep_fact ${FACT.machineId} "$machine_id"; fi
  if [ -z "$uuid" ] && [ -z "$machine_id" ]; then
    k8sprep_problem "no /sys/class/dmi/id/product_uuid and no /etc/machine-id: nothing tells this machine apart from a clone (run systemd-machine-id-setup)"
  fi
  for dev in /sys/class/net/*; do
    name=${'$'}{dev##*/}
    case $name in ${VIRTUAL_INTERFACES}) continue ;; esac
    mac=$(cat "$dev/address" 2>/dev/null) || continue
    case $mac in "" | 00:00:00:00:00:00) continue ;; esac
    macs="$macs $name=$mac"
  done
  k8sprep_fact ${FACT.macs} "${'$'}{macs# }"
  k8sprep_fact ${FACT.clock} "$(date +%s)"
}`;
