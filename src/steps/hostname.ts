/**
 * hostname = node name (kubeadm names the node after it; the kubelet's serving certificate
 * and logs use it), and a marked /etc/hosts block so every node resolves every other by
 * name without DNS. Early in prep: everything after it sees the final name.
 */
import { type TemplateSpec, templateMatches, writeTemplate } from '../script/files.js';
import { ETC_HOSTS_BEGIN, ETC_HOSTS_END, etcHostsBlock } from '../templates/etc-hosts.js';
import { nodeNameFill, nodeNameHelper, nodeNameInFile, nodeNameWord } from './bootstrap/host-values.js';
import type { Step, StepContext } from './types.js';

const HOSTS_BLOCK_RANGE = `/^${ETC_HOSTS_BEGIN}/,/^${ETC_HOSTS_END}/`;

function hostnameFile(ctx: StepContext): TemplateSpec {
  return { path: '/etc/hostname', mode: '644', content: `${nodeNameInFile(ctx.host)}\n`, fill: nodeNameFill(ctx.host) };
}

/** The block as stdin of `command` (then `rest`); a node name or IP never equals the terminator. */
function blockHeredoc(command: string, ctx: StepContext, rest = ''): string {
  return `${command} <<'K8SPREP_EOF'${rest}\n${etcHostsBlock(ctx.cluster)}K8SPREP_EOF`;
}

export const hostnameStep: Step = {
  id: 'hostname',
  title: 'Name the host after its node, and list every node in /etc/hosts',
  appliesTo: () => true,
  helpers: (ctx) => [
    nodeNameHelper(ctx.host),
    [
      '# stdin: the wanted block; true when /etc/hosts has exactly it.',
      `k8sprep_hosts_block_matches() { [ "$(sed -n '${HOSTS_BLOCK_RANGE}p' /etc/hosts 2>/dev/null)" = "$(cat)" ]; }`,
    ].join('\n'),
  ],
  check: (ctx) =>
    [
      `[ "$(uname -n)" = ${nodeNameWord(ctx.host)} ] || return 1`,
      templateMatches(hostnameFile(ctx), '|| return 1'),
      blockHeredoc('k8sprep_hosts_block_matches', ctx),
    ].join('\n'),
  apply: (ctx) =>
    [
      writeTemplate(hostnameFile(ctx)),
      // /proc rather than hostname(1) or hostnamectl: present everywhere, needs no D-Bus.
      `printf '%s\\n' ${nodeNameWord(ctx.host)} >/proc/sys/kernel/hostname`,
      'local mode',
      'mode=$(stat -c %a /etc/hosts 2>/dev/null || echo 644)',
      blockHeredoc(`{ sed '${HOSTS_BLOCK_RANGE}d' /etc/hosts 2>/dev/null || true; cat; }`, ctx, ' | k8sprep_write_file /etc/hosts "$mode"'),
    ].join('\n'),
};
