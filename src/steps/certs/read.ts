/**
 * The read-only script that fetches a control plane's PKI: every regular file under
 * /etc/kubernetes/pki and every /etc/kubernetes/*.conf, each as a header line (mode,
 * owner, path relative to /etc/kubernetes), its base64 lines, and an end line; the
 * kube-apiserver's static pod manifest (its --secure-port is where the renewal asks
 * /healthz); plus the renewals an earlier `certs renew` left unfinished (see
 * src/steps/certs/renew-journal.ts).
 *
 * The output carries private keys. Only the parser (read-parse.ts) sees those lines; the
 * runner never logs or prints them.
 */
import { KUBE_DIR, MANIFEST_DIR, RENEW_STATE_DIR } from '../../pki/layout.js';
import { PREAMBLE } from '../../script/preamble.js';
import { shq } from '../../script/quote.js';

export const READ_MARK = {
  file: '::k8sprep-file::',
  end: '::k8sprep-end::',
  /** `<run-id> staged|committed`: a renewal that has no status file. */
  pending: '::k8sprep-pending::',
  /** /etc/kubernetes itself is missing. */
  none: '::k8sprep-none::',
} as const;

/** The kube-apiserver's static pod manifest, read with the PKI. */
export const APISERVER_MANIFEST = `${MANIFEST_DIR}/kube-apiserver.yaml`;
/** Its path in the files read (relative to /etc/kubernetes). */
export const APISERVER_MANIFEST_REL = APISERVER_MANIFEST.slice(KUBE_DIR.length + 1);

/** Files larger than this are reported, not transferred (nothing kubeadm writes comes close). */
export const MAX_FILE_BYTES = 1 << 20;

export function renderReadScript(hostName: string): string {
  return `#!/bin/bash
# k8sprep certs-read for host ${hostName}: generated, do not edit. Reads, never writes.
${PREAMBLE}
k8sprep_read_file() {
  local path=$1 rel=\${1#${KUBE_DIR}/} size
  size=$(stat -c %s "$path")
  if [ "$size" -gt ${MAX_FILE_BYTES} ]; then
    echo "k8sprep: $path is $size bytes; not read" >&2
    return 0
  fi
  printf '%s %s %s\\n' ${shq(READ_MARK.file)} "$(stat -c '%a %u:%g' "$path")" "$rel"
  base64 <"$path"
  printf '%s\\n' ${shq(READ_MARK.end)}
}

k8sprep_read_main() {
  local path dir
  if [ ! -d ${KUBE_DIR} ]; then
    printf '%s %s\\n' ${shq(READ_MARK.none)} ${KUBE_DIR}
    return 0
  fi
  # Staged files of an unfinished renewal (*.k8sprep-<run>) are not the host's PKI.
  if [ -d ${KUBE_DIR}/pki ]; then
    while IFS= read -r -d '' path; do
      case $path in *$'\\n'*) continue ;; esac
      k8sprep_read_file "$path"
    done < <(find -H ${KUBE_DIR}/pki -type f ! -name '*.k8sprep-*' -print0 | sort -z)
  fi
  for path in ${KUBE_DIR}/*.conf ${APISERVER_MANIFEST}; do
    if [ -f "$path" ]; then k8sprep_read_file "$path"; fi
  done
  for dir in ${RENEW_STATE_DIR}/*/; do
    if [ ! -d "$dir" ] || [ -e "$dir/status" ]; then continue; fi
    if [ -e "$dir/commit.sh" ]; then set -- committed; else set -- staged; fi
    printf '%s %s %s\\n' ${shq(READ_MARK.pending)} "$(basename "$dir")" "$1"
  done
  return 0
}

# stdin is this script: nothing it runs may read from it.
k8sprep_read_main </dev/null
`;
}
