/**
 * The admin kubeconfig, fetched from the first control plane into the state dir (0600), so
 * `export KUBECONFIG=.k8sprep/<cluster>/admin.conf` reaches the cluster from this machine. The
 * file holds a client key: it travels base64 on one line that only this reader sees (never the
 * log or --verbose), and a dry run only shows the script.
 */
import { HostError } from '../../errors.js';
import type { HostSession } from '../../run/session.js';
import { writeFileAtomic } from '../../util/fs.js';
import { ADMIN_CONF } from './host-values.js';

export function fetchAdminConfScript(hostName: string): string {
  return [
    '#!/bin/bash',
    `# k8sprep kubeconfig for host ${hostName}: prints ${ADMIN_CONF} as base64. Generated, do not edit.`,
    'set -euo pipefail',
    `[ -r ${ADMIN_CONF} ] || { echo "k8sprep: ${ADMIN_CONF} is missing" >&2; exit 1; }`,
    `base64 -w0 <${ADMIN_CONF}`,
    'echo',
    '',
  ].join('\n');
}

export async function fetchAdminConf(session: HostSession, localPath: string): Promise<void> {
  const lines: string[] = [];
  const result = await session.run(
    { phase: 'kubeconfig', text: fetchAdminConfScript(session.host.name), readOnly: true, secretOutput: true },
    { onStdout: (l) => lines.push(l) },
  );
  if (session.isDryRun) return;
  if (result.code !== 0)
    throw new HostError(session.host.name, result.messages.at(-1) ?? `reading ${ADMIN_CONF} exited with status ${result.code}`, 'kubeconfig');
  const text = Buffer.from(lines.join(''), 'base64').toString('utf8');
  if (!/^kind: Config$/m.test(text)) throw new HostError(session.host.name, `${ADMIN_CONF} is not a kubeconfig`, 'kubeconfig');
  await writeFileAtomic(localPath, text, { mode: 0o600 });
  session.notes.push(`the admin kubeconfig is in ${localPath}: export KUBECONFIG=${localPath}`);
}
