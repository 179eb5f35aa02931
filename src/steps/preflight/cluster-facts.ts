/**
 * The facts of hosts already in the cluster (read-only): what preflight prints for its
 * cross-host checks, so hosts joining later are compared with them (unique names, machine
 * ids, MACs; agreeing clocks). Nothing to apply.
 */
import type { Step } from '../types.js';
import { FACTS_FUNCTION } from './facts.js';
import { PROBLEM_HELPERS } from './local-checks.js';

export const clusterFactsStep: Step = {
  id: 'cluster-facts',
  title: "Read the host's identity and clock (changes nothing)",
  appliesTo: () => true,
  helpers: () => [PROBLEM_HELPERS, FACTS_FUNCTION],
  check: () => 'k8sprep_preflight_facts\nreturn 0',
  apply: () => ':',
};
