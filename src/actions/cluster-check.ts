/**
 * Before node join or reset changes anything: the running cluster answers on the operator (the
 * first control plane the command does not work on): its apiserver's /readyz, and its CA is
 * the local PKI's — joins carry the local CA's hash, so another CA (a rebuilt cluster, a PKI
 * directory from elsewhere) is refused with both fingerprints. Read-only; its script is the
 * one a dry run shows.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostError } from '../errors.js';
import { caCertHash } from '../pki/hash.js';
import { defaultPkiDir } from '../pki/layout.js';
import { HOSTS, type Phase } from '../run/phase.js';

export const CLUSTER_CHECK = 'cluster-check';

function script(hostName: string): string {
  return [
    '#!/bin/bash',
    `# k8sprep cluster-check on ${hostName}: is the cluster running here, and which CA does it have? Reads, never writes.`,
    'set -euo pipefail',
    'ready=$(curl -sfk --noproxy \'*\' --max-time 5 https://127.0.0.1:6443/readyz 2>&1) || ready="${ready:-no answer}"',
    'if [ "$ready" != ok ]; then echo "k8sprep: the apiserver on this control plane did not answer /readyz with ok (${ready:0:200})" >&2; exit 1; fi',
    '[ -r /etc/kubernetes/pki/ca.crt ] || { echo "k8sprep: /etc/kubernetes/pki/ca.crt is missing" >&2; exit 1; }',
    'cat /etc/kubernetes/pki/ca.crt',
    '',
  ].join('\n');
}

export const clusterCheckPhase: Phase = {
  id: CLUSTER_CHECK,
  title: 'the running cluster answers, with the local CA',
  placement: { hosts: HOSTS.operator, order: 'parallel' },
  run: async (session, ctx) => {
    const host = session.host.name;
    const lines: string[] = [];
    const result = await session.run({ phase: CLUSTER_CHECK, text: script(host), readOnly: true }, { onStdout: (l) => lines.push(l) });
    if (session.isDryRun) return;
    if (result.code !== 0)
      throw new HostError(host, `the cluster is not running here: ${result.messages.at(-1) ?? `exit ${result.code}`}; nothing was changed`, CLUSTER_CHECK);
    const localPath = join(defaultPkiDir(ctx.cluster), 'ca.crt');
    const local = await readFile(localPath, 'utf8').catch(() => {
      throw new HostError(
        host,
        `${localPath} is missing: without the cluster's local PKI k8sprep cannot tell this is its cluster; nothing was changed`,
        CLUSTER_CHECK,
      );
    });
    const theirs = caCertHash(`${lines.join('\n')}\n`);
    const mine = caCertHash(local);
    if (theirs !== mine) {
      throw new HostError(
        host,
        `the cluster's CA (${theirs}) is not the local PKI's (${mine}, ${localPath}): this is not the cluster the local state was made for; nothing was changed`,
        CLUSTER_CHECK,
      );
    }
  },
};
