/**
 * The ordered phases and their steps: the one place that says what runs, in which order.
 *
 * `preflight` is read-only and ends a stage (crossHostCheck): every host finishes it and the
 * hosts' facts are compared before any host starts `prep`, so no host changes while any
 * problem anywhere is unreported. `prep` then takes a bare host to "ready for kubeadm".
 */
import { baseReposStep } from './base-repos.js';
import { containerdInstallStep } from './containerd-install.js';
import { containerdStep } from './containerd.js';
import { crictlStep } from './crictl.js';
import { firewallStep } from './firewall.js';
import { hostnameStep } from './hostname.js';
import { imagesStep } from './images.js';
import { kernelModulesStep } from './kernel-modules.js';
import { kubernetesPackagesStep } from './kubernetes-packages.js';
import { osReleaseStep } from './os-release.js';
import { packageReposStep } from './package-repos.js';
import { preflightCrossHostCheck } from './preflight/cross-host.js';
import { preflightStep } from './preflight.js';
import { proxyToolsStep } from './proxy-tools.js';
import { selinuxStep } from './selinux.js';
import { swapStep } from './swap.js';
import { sysctlStep } from './sysctl.js';
import { timeSyncStep } from './time-sync.js';
import type { Phase, Step } from './types.js';

export const preflightPhase: Phase = {
  id: 'preflight',
  title: 'preflight checks (read-only)',
  steps: [preflightStep],
  crossHostCheck: preflightCrossHostCheck,
};

export const prepPhase: Phase = {
  id: 'prep',
  title: 'host preparation',
  steps: [
    // Guard: never touch a host that is not the OS the script was rendered for (also when
    // preflight was skipped with --skip).
    osReleaseStep,
    // Identity first: everything after (and kubeadm later) sees the final name.
    hostnameStep,
    // Kernel-level settings need no packages: swap, SELinux and the firewall, then modules
    // before sysctl (net.bridge.* exist only once br_netfilter is loaded).
    swapStep,
    selinuxStep,
    firewallStep,
    kernelModulesStep,
    sysctlStep,
    // Repositories before any package: CentOS 7's base repos are dead until moved to the vault.
    baseReposStep,
    packageReposStep,
    // Packages from least to most dependent: time sync (certificates want sane clocks), the
    // kube-proxy tools, the runtime, its config (chosen by the *installed* containerd version), the
    // Kubernetes tools (which bring crictl on CentOS), crictl's config, and last the image
    // pull, which needs containerd running, kubeadm and crictl.
    timeSyncStep,
    proxyToolsStep,
    containerdInstallStep,
    containerdStep,
    kubernetesPackagesStep,
    crictlStep,
    imagesStep,
  ],
};

/** Phases of `node init`, in run order. Later issues add bootstrap phases here. */
export function nodeInitPhases(opts: { prepOnly: boolean }): Phase[] {
  void opts;
  return [preflightPhase, prepPhase];
}

export function allSteps(phases: readonly Phase[]): Step[] {
  return phases.flatMap((p) => p.steps);
}
