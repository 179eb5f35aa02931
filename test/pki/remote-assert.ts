/**
 * What a control plane's PKI looks like from the outside, with the real openssl inside the
 * host: certificate dates and fingerprints, chain verification, key-certificate pairs, and
 * the credentials embedded in kubeconfigs.
 */
import type { TestHost } from '../hosts/index.js';
import { APISERVER_PORT_SH, hostBash, hostBashOk } from './remote-fixture.js';

export const LEAVES: { base: string; ca: string }[] = [
  { base: 'apiserver', ca: 'ca' },
  { base: 'apiserver-kubelet-client', ca: 'ca' },
  { base: 'front-proxy-client', ca: 'front-proxy-ca' },
  { base: 'apiserver-etcd-client', ca: 'etcd/ca' },
  { base: 'etcd/server', ca: 'etcd/ca' },
  { base: 'etcd/peer', ca: 'etcd/ca' },
  { base: 'etcd/healthcheck-client', ca: 'etcd/ca' },
];
export const SHARED = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'];

async function sh(host: TestHost, script: string, ...args: string[]): Promise<string> {
  return (await hostBashOk(host, script, { args })).trim();
}

/** /etc/kubernetes as relative path -> sha256, files only. */
export async function kubeTree(host: TestHost): Promise<Map<string, string>> {
  const out = await sh(host, 'cd /etc/kubernetes && find . -type f -print0 | sort -z | xargs -0 sha256sum');
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(66).replace(/^\.\//, ''), l.slice(0, 64)]),
  );
}

export interface PairFacts {
  notAfter: Date;
  /** openssl verify against the CA succeeded. */
  verified: boolean;
  keyMatches: boolean;
}

/**
 * One pass inside the host (one process per host, not per file): for each `name crt key ca`
 * line, NotAfter, `openssl verify` and whether the key's public half is the certificate's.
 * A kubeconfig's embedded pair is first decoded to temp files.
 */
const PAIRS_SCRIPT = String.raw`set -euo pipefail
tmp=$(mktemp -d)
while read -r name crt key ca; do
  case $name in
    *.conf)
      awk '$1 == "client-certificate-data:" {print $2}' "/etc/kubernetes/$name" | base64 -d >"$tmp/crt"
      awk '$1 == "client-key-data:" {print $2}' "/etc/kubernetes/$name" | base64 -d >"$tmp/key"
      crt=$tmp/crt key=$tmp/key ;;
  esac
  end=$(openssl x509 -noout -enddate -in "$crt" | sed 's/^notAfter=//')
  if openssl verify -CAfile "$ca" "$crt" >/dev/null 2>&1; then ok=yes; else ok=no; fi
  if [ "$(openssl x509 -pubkey -noout -in "$crt")" = "$(openssl pkey -pubout -in "$key")" ]; then match=yes; else match=no; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$end" "$ok" "$match"
done
rm -rf "$tmp"`;

/** Every leaf and kubeconfig client certificate on the host: its NotAfter, chain and key match. */
export async function hostPairs(host: TestHost, confs: readonly string[]): Promise<Map<string, PairFacts>> {
  const pki = '/etc/kubernetes/pki';
  const lines = [
    ...LEAVES.map((l) => `pki/${l.base}.crt ${pki}/${l.base}.crt ${pki}/${l.base}.key ${pki}/${l.ca}.crt`),
    ...confs.map((c) => `${c} - - ${pki}/ca.crt`),
  ];
  const r = await hostBash(host, PAIRS_SCRIPT, { input: `${lines.join('\n')}\n` });
  if (r.code !== 0) throw new Error(`${host.name}: checking pairs: ${r.stderr}`);
  const out = new Map<string, PairFacts>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [name, end, ok, match] = line.split('\t');
    out.set(name ?? '', { notAfter: new Date(end ?? ''), verified: ok === 'yes', keyMatches: match === 'yes' });
  }
  if (out.size !== lines.length) throw new Error(`${host.name}: ${out.size} of ${lines.length} pairs checked: ${r.stderr}`);
  return out;
}

/** SHA-256 fingerprints of the certificate the apiserver serves (on its manifest's port) and of pki/apiserver.crt. */
export async function servedAndFileFingerprints(host: TestHost): Promise<[string, string]> {
  const served = await sh(
    host,
    `${APISERVER_PORT_SH}; openssl s_client -connect "$1:$port" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
    host.address,
  );
  const file = await sh(host, 'openssl x509 -noout -fingerprint -sha256 -in /etc/kubernetes/pki/apiserver.crt');
  return [served, file];
}
