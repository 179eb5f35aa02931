/**
 * commit.sh: everything after the commit point (journal.ts), for one host. Idempotent, so
 * running it again finishes an interrupted renewal: (1) rename each staged file onto its
 * target (rename(2), atomic per file; already renamed ones are skipped), (2) restart the
 * static pods — move their manifests out of /etc/kubernetes/manifests, wait until their
 * containers are gone, move them back, wait until they run again, (3) wait until this
 * node's apiserver answers /healthz with `ok` on its own port, verified with the cluster CA
 * (so the new serving certificate is what answers). Holds no secrets: the staged files are on disk.
 */
import type { Host } from '../../cluster/types.js';
import { MANIFEST_DIR, STATIC_PODS } from '../../pki/layout.js';
import { httpsUrl, nodeApiHost } from '../../pki/spec.js';
import { shq } from '../../script/quote.js';
import { RENEW_EVENT } from './renew-journal.js';

export interface CommitScriptInput {
  host: Host;
  targets: readonly string[];
  /** The node's apiserver port (its manifest's --secure-port): where /healthz is asked. */
  apiserverPort: number;
  /** How long each wait may take (pods gone, pods back, apiserver healthy). */
  waitSeconds: number;
}

function healthzCurl(host: Host, port: number): string {
  const apiHost = nodeApiHost(host);
  // `address: local` has no address the certificate names; its node name is a SAN.
  const resolve = host.address === 'local' ? ` --resolve ${shq(`${apiHost}:${port}:127.0.0.1`)}` : '';
  return `curl -sS --noproxy '*' --max-time 5 --cacert /etc/kubernetes/pki/ca.crt${resolve} ${shq(`${httpsUrl(apiHost, port)}/healthz`)}`;
}

export function renderCommitScript(input: CommitScriptInput): string {
  const { host, waitSeconds } = input;
  return `#!/bin/bash
# k8sprep certs renew, commit step for host ${host.name}: generated, do not edit.
# Run again to finish an interrupted renewal (k8sprep certs renew does that by itself).
set -uo pipefail
export LC_ALL=C
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
trap '' HUP PIPE
dir=$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)
run=\${dir##*/}
exec 9>>"$dir/lock"
flock -n 9 || { echo "k8sprep: renewal $run is already running" >&2; exit 75; }
echo $$ >"$dir/pid"

TARGETS=(
${input.targets.map((t) => `  ${shq(t)}`).join('\n')}
)
PODS=(${STATIC_PODS.join(' ')})
MANIFESTS=${MANIFEST_DIR}
STASH=$dir/manifests
WAIT=${waitSeconds}

ev() { printf '%s %s\\n' '${RENEW_EVENT}' "$*"; }
finish() {
  date -u +%Y-%m-%dT%H:%M:%S.%NZ >"$dir/finished"
  printf '%s\\n' "$1" >"$dir/status.tmp" && mv -f "$dir/status.tmp" "$dir/status"
}
fail() {
  echo "k8sprep: $*" >&2
  ev failed "$*"
  finish "failed $*"
  exit 1
}

swap() {
  local t
  [ -e "$dir/swapped" ] && return 0
  for t in "\${TARGETS[@]}"; do
    if [ -e "$t.k8sprep-$run" ]; then
      mv -f "$t.k8sprep-$run" "$t" || fail "could not replace $t"
      ev replaced "$t"
    fi
  done
  sync
  : >"$dir/swapped"
  ev swapped
}

# pod_state NAME: running, stopped, or unknown (crictl cannot tell: counts as neither).
pod_state() {
  local out
  out=$(crictl ps -q --name "^$1\\$" 2>/dev/null) || { echo unknown; return 0; }
  if [ -n "$out" ]; then echo running; else echo stopped; fi
}
stashed() { local f; for f in "$STASH"/*.yaml; do [ -e "$f" ] && basename "$f" .yaml; done; return 0; }

# wait_pods up|down: until every stashed (moved) pod runs, or none does.
wait_pods() {
  local deadline=$((SECONDS + WAIT)) p busy
  while :; do
    busy=no
    for p in $(stashed) $(cat "$dir/moved" 2>/dev/null); do
      case $1/$(pod_state "$p") in down/stopped | up/running) ;; *) busy=yes ;; esac
    done
    [ "$busy" = no ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 1
  done
}

back() {
  local p
  for p in $(stashed); do
    mv -f "$STASH/$p.yaml" "$MANIFESTS/$p.yaml" || fail "could not move $STASH/$p.yaml back to $MANIFESTS"
    echo "$p" >>"$dir/moved"
    ev manifest-back "$p"
  done
}

restart() {
  local p
  [ -e "$dir/restarted" ] && return 0
  mkdir -p "$STASH" && chmod 700 "$STASH"
  for p in "\${PODS[@]}"; do
    if [ -e "$MANIFESTS/$p.yaml" ]; then
      mv -f "$MANIFESTS/$p.yaml" "$STASH/$p.yaml" || fail "could not move $MANIFESTS/$p.yaml out"
      ev manifest-out "$p"
    fi
  done
  rm -f "$dir/moved"
  if ! wait_pods down; then
    back
    fail "the static pods did not stop within \${WAIT}s of their manifests leaving $MANIFESTS (is the kubelet running?); manifests moved back, the pods still use the old certificates"
  fi
  ev stopped
  back
  wait_pods up || fail "the static pods did not start again within \${WAIT}s"
  : >"$dir/restarted"
  ev started
}

healthy() {
  local deadline=$((SECONDS + WAIT)) body
  while :; do
    body=$(${healthzCurl(host, input.apiserverPort)} 2>&1) && [ "$body" = ok ] && break
    [ "$SECONDS" -ge "$deadline" ] && fail "the apiserver did not answer /healthz with ok within \${WAIT}s (last answer: \${body:0:300})"
    sleep 1
  done
  ev healthy
}

swap
restart
healthy
finish 'done'
ev 'done'
`;
}
