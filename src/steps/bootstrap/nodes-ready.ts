/**
 * Every node Ready before `node init` says it is done (DESIGN §4): from the first control plane,
 * `kubectl get nodes` until each of the run's nodes that registered reports Ready, for at most
 * --wait. A node still not Ready then is listed with its conditions, and the step fails. A node
 * that never registered is named (its own join failure is reported on its host) but not waited
 * for: waiting could not change it.
 */
import { shqAll } from '../../script/quote.js';
import type { Step, StepContext } from '../types.js';
import { KUBECTL } from './host-values.js';

const CONDITIONS = '{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}';

function waitSeconds(ctx: StepContext): number {
  return ctx.bootstrap?.waitSeconds ?? 600;
}

function nodeNames(ctx: StepContext): string {
  return shqAll(ctx.bootstrap?.waitFor ?? ctx.cluster.hosts.map((h) => h.name));
}

const HELPERS = String.raw`# k8sprep_not_ready NAME...: prints "NAME unregistered" or "NAME <status>" for each node that is not Ready.
k8sprep_not_ready() {
  local nodes name status
  nodes=$(k8sprep_kubectl get nodes --no-headers 2>/dev/null) || { echo "? the API did not answer"; return 0; }
  for name in "$@"; do
    status=$(printf '%s\n' "$nodes" | awk -v n="$name" '$1 == n {print $2; exit}')
    case $status in
      '') echo "$name unregistered" ;;
      Ready | Ready,*) ;;
      *) echo "$name $status" ;;
    esac
  done
}`;

export const nodesReadyStep: Step = {
  id: 'nodes-ready',
  title: 'Wait until every node is Ready',
  appliesTo: (ctx) => ctx.cluster.kubernetes.cni !== 'none',
  helpers: () => [KUBECTL, HELPERS],
  check: (ctx) => `[ -z "$(k8sprep_not_ready ${nodeNames(ctx)})" ]`,
  apply: (ctx) => {
    const names = nodeNames(ctx);
    return [
      `local deadline=$((SECONDS + ${waitSeconds(ctx)})) waiting name rest line`,
      'while :; do',
      `  waiting=$(k8sprep_not_ready ${names} | grep -v ' unregistered$' || true)`,
      '  [ -z "$waiting" ] && break',
      '  if [ "$SECONDS" -ge "$deadline" ]; then',
      '    while read -r name rest; do',
      '      echo "k8sprep: $name is $rest:" >&2',
      `      k8sprep_kubectl get node "$name" -o jsonpath='${CONDITIONS}' 2>&1 | while IFS= read -r line; do [ -n "$line" ] && echo "k8sprep:   $line" >&2; done`,
      '    done <<<"$waiting"',
      `    k8sprep_die "$(printf '%s\\n' "$waiting" | wc -l) node(s) not Ready after ${waitSeconds(ctx)} s: $(printf '%s\\n' "$waiting" | awk '{print $1}' | paste -sd ' ' -)"`,
      '  fi',
      '  sleep 5',
      'done',
      `for name in $(k8sprep_not_ready ${names} | awk '$2 == "unregistered" {print $1}'); do`,
      '  k8sprep_note "$name is not a registered node (its join did not complete): not waited for"',
      'done',
    ].join('\n');
  },
  // Unregistered nodes are reported, not waited for: done when the registered ones are Ready.
  verify: (ctx) => `! k8sprep_not_ready ${nodeNames(ctx)} | grep -qv ' unregistered$'`,
};
