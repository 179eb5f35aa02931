/**
 * Host preparation, the phases every action that brings hosts into a cluster starts with
 * (node init, node join): `preflight` is read-only, and its cross-host check runs once every
 * host has finished it, so no host changes while any problem anywhere is unreported; `prep`
 * then takes a bare host to "ready for kubeadm". Both run on the action's hosts in parallel.
 */
import { baseReposStep } from '../steps/base-repos.js';
import { containerdInstallStep } from '../steps/containerd-install.js';
import { containerdStep } from '../steps/containerd.js';
import { crictlStep } from '../steps/crictl.js';
import { firewallStep } from '../steps/firewall.js';
import { hostnameStep } from '../steps/hostname.js';
import { addonImagesStep } from '../steps/addon-images.js';
import { imagesStep } from '../steps/images.js';
import { proxyToolsStep } from '../steps/proxy-tools.js';
import { kernelModulesStep } from '../steps/kernel-modules.js';
import { kubernetesPackagesStep } from '../steps/kubernetes-packages.js';
import { osReleaseStep } from '../steps/os-release.js';
import { packageReposStep } from '../steps/package-repos.js';
import { preflightCrossHostCheck } from '../steps/preflight/cross-host.js';
import { preflightStep } from '../steps/preflight.js';
import { selinuxStep } from '../steps/selinux.js';
import { swapStep } from '../steps/swap.js';
import { sysctlStep } from '../steps/sysctl.js';
import { timeSyncStep } from '../steps/time-sync.js';
import { HOSTS, type Phase } from '../run/phase.js';
import type { Step } from '../steps/types.js';

/** A phase made of steps (one script per host). */
export type StepsPhase = Phase & { steps: readonly Step[] };

export const preflightPhase: StepsPhase = {
  id: 'preflight',
  title: 'preflight checks (read-only)',
  placement: { hosts: HOSTS.targets, order: 'parallel' },
  steps: [preflightStep],
  crossHostCheck: preflightCrossHostCheck,
};

export const prepPhase: StepsPhase = {
  id: 'prep',
  title: 'host preparation',
  placement: { hosts: HOSTS.targets, order: 'parallel' },
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
    addonImagesStep,
  ],
};
