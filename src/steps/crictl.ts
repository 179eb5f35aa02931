/**
 * crictl pointed at containerd (/etc/crictl.yaml with only the keys crictl accepts). After
 * the Kubernetes packages: on CentOS crictl comes with kubeadm (cri-tools); Arch installs it
 * here. Before images: the images step asks crictl what is already pulled.
 */
import { osFamily } from '../os/index.js';
import { fileMatches, writeFile } from '../script/files.js';
import { CRICTL_CONFIG, crictlConfig } from '../templates/crictl.js';
import type { Step } from './types.js';

const CONFIG = { path: CRICTL_CONFIG, mode: '644', content: crictlConfig() };

export const crictlStep: Step = {
  id: 'crictl',
  title: 'Install crictl and point it at containerd',
  appliesTo: () => true,
  helpers: (ctx) => osFamily(ctx.os).packageHelpers,
  check: () => ['command -v crictl >/dev/null 2>&1 || return 1', fileMatches(CONFIG)].join('\n'),
  apply: (ctx) => {
    const family = osFamily(ctx.os);
    return [`command -v crictl >/dev/null 2>&1 || ${family.installPackages(family.packages.crictl, family.kubernetesRepoArgs)}`, writeFile(CONFIG)].join('\n');
  },
};
