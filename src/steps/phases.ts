/**
 * The ordered phases and their steps: the one place that says what runs, in which order.
 * `prep` takes a bare host to "ready for kubeadm".
 */
import { kernelModulesStep } from './kernel-modules.js';
import { osReleaseStep } from './os-release.js';
import { swapStep } from './swap.js';
import { sysctlStep } from './sysctl.js';
import type { Phase, Step } from './types.js';

export const prepPhase: Phase = {
  id: 'prep',
  title: 'host preparation',
  // Modules before sysctl: the net.bridge.* keys exist only once br_netfilter is loaded.
  steps: [osReleaseStep, swapStep, kernelModulesStep, sysctlStep],
};

/** Phases of `node init`, in run order. Later issues add bootstrap phases here. */
export function nodeInitPhases(opts: { prepOnly: boolean }): Phase[] {
  void opts;
  return [prepPhase];
}

export function allSteps(phases: readonly Phase[]): Step[] {
  return phases.flatMap((p) => p.steps);
}
