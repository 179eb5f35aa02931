/**
 * The stored bootstrap token, valid for at least another hour, before any join (tokens expire
 * after 24 h; DESIGN §4 "Tokens expire"): on the first control plane, `kubeadm token list` must
 * show it with an expiry more than an hour away (or none); otherwise it is deleted and created
 * again from a config's bootstrapTokens (`kubeadm token create --config`, 0600), so the token
 * never appears on a command line. Only the token's public id is in the script.
 */
import { writeFile } from '../../script/files.js';
import { TOKEN_CONFIG, tokenConfig } from '../../templates/kubeadm-config.js';
import { kubeadmConfigFile } from './kubeadm-init.js';
import type { Step, StepContext } from '../types.js';

/** The token's public part (`abcdef` of `abcdef.0123456789abcdef`): its Secret's name, not a credential. */
function tokenId(ctx: StepContext): string {
  const id = ctx.bootstrap?.state?.tokenId;
  if (!id) throw new Error('the bootstrap-token step needs the local state');
  return id;
}

const TOKEN_VALID = String.raw`# k8sprep_token_valid ID: the token is listed and expires more than an hour from now (or never).
k8sprep_token_valid() {
  local expires
  expires=$(kubeadm token list 2>/dev/null | awk -v id="$1." 'index($1, id) == 1 {print $3; exit}')
  [ -n "$expires" ] || return 1
  case $expires in '<forever>' | '<never>') return 0 ;; esac
  [ "$(date -d "$expires" +%s 2>/dev/null || echo 0)" -gt $(($(date +%s) + 3600)) ]
}`;

export const bootstrapTokenStep: Step = {
  id: 'bootstrap-token',
  title: 'Keep the bootstrap token valid for the joins',
  // Where: the phase's placement (the control plane that inits, or any healthy one).
  appliesTo: () => true,
  helpers: () => TOKEN_VALID,
  check: (ctx) => `k8sprep_token_valid ${tokenId(ctx)}`,
  apply: (ctx) =>
    [
      'mkdir -p /etc/kubernetes/k8sprep && chmod 700 /etc/kubernetes/k8sprep',
      writeFile(kubeadmConfigFile(ctx, TOKEN_CONFIG, tokenConfig(ctx.cluster))),
      `kubeadm token delete ${tokenId(ctx)} >/dev/null 2>&1 || true`,
      `kubeadm token create --config ${TOKEN_CONFIG} >/dev/null`,
      `k8sprep_note "the bootstrap token ${tokenId(ctx)} had expired or was about to: created again for 24 h"`,
    ].join('\n'),
};
