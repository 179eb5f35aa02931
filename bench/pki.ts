/**
 * PKI benchmark (issue 4, a script, not a test): the full PKI of a 3-control-plane
 * cluster (examples/ha-centos7.yaml) made three ways, side by side in one run:
 *
 *   floor    the same number of RSA keys with Node's async generateKeyPair, all at once
 *            (the cost no implementation can avoid)
 *   k8sprep  generatePki into an empty directory (keys, certificates, kubeconfigs, copies)
 *   openssl  a bash script of openssl CLI calls writing the same files, one after the
 *            other, as the wiki procedure does
 *
 * Prints each median of RUNS runs and the ratios against the targets: k8sprep within 1.3x
 * of the floor, at least 3x faster than the openssl script. The ratios depend on the core
 * count: key generation is CPU-bound, so k8sprep's parallelism is bounded by the cores
 * (and libuv's thread pool, 4 threads by default) while the script uses one core.
 *
 * Usage: see the report (exported `benchPki` for bench/run.ts; runs itself when executed).
 */
import { execFile } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadClusterFile } from '../src/cluster/load.js';
import type { Cluster } from '../src/cluster/types.js';
import { generatePki } from '../src/pki/generate.js';
import { CA_SPECS, type CertSpec, nodeKubeconfigSpecs, nodeLeafSpecs } from '../src/pki/spec.js';
import { type Log, median, stdoutLog, type Target, target, targetLine, timed } from './common.js';

const EXAMPLE = fileURLToPath(new URL('../examples/ha-centos7.yaml', import.meta.url));

export interface PkiBenchResult {
  keys: number;
  runs: number;
  /** Wall-clock milliseconds per run. */
  floorMs: number[];
  k8sprepMs: number[];
  opensslMs: number[];
  /**
   * CPU milliseconds (this process, all threads) per run: what the work costs regardless
   * of other load on the machine, which makes wall-clock times noisy on shared hosts.
   */
  floorCpuMs: number[];
  k8sprepCpuMs: number[];
  targets: Target[];
}

/** Keys generatePki makes for a fresh PKI: 3 CAs + sa + one per leaf and per kubeconfig. */
function keyCount(cluster: Cluster): number {
  let n = CA_SPECS.length + 1;
  for (const h of cluster.controlPlanes) n += nodeLeafSpecs(cluster, h).length + nodeKubeconfigSpecs(cluster, h).length;
  return n;
}

function floor(keys: number, bits: number): Promise<unknown> {
  const one = () =>
    new Promise((resolve, reject) =>
      generateKeyPair(
        'rsa',
        { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } },
        (err, pub) => (err ? reject(err) : resolve(pub)),
      ),
    );
  return Promise.all(Array.from({ length: keys }, one));
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function subj(spec: CertSpec): string {
  return [...spec.subject.o.map((o) => `/O=${o}`), `/CN=${spec.subject.cn}`].join('');
}

function extArgs(spec: CertSpec): string {
  const args = ['-addext "basicConstraints=critical,CA:FALSE"', '-addext "keyUsage=critical,digitalSignature,keyEncipherment"'];
  if (spec.eku.length > 0) args.push(`-addext "extendedKeyUsage=${spec.eku.join(',')}"`);
  const sans = [...spec.sans.dns.map((d) => `DNS:${d}`), ...spec.sans.ips.map((i) => `IP:${i}`)];
  if (sans.length > 0) args.push(`-addext ${q(`subjectAltName=${sans.join(',')}`)}`);
  return args.join(' ');
}

/** The openssl CLI procedure writing the same layout as generatePki (PKCS#1 keys, same extensions). */
export function opensslScript(cluster: Cluster): string {
  const bits = cluster.certificates.keyBits;
  const caDays = Math.ceil(cluster.certificates.caValidityHours / 24);
  const days = Math.ceil(cluster.certificates.certValidityHours / 24);
  const lines = [
    '#!/usr/bin/env bash',
    'set -euo pipefail',
    'out=$1; cd "$out"; umask 077',
    `printf '[req]\\ndistinguished_name = dn\\nprompt = no\\n[dn]\\n' > req.cnf`,
    'mkdir -p etcd',
    'key() { openssl genrsa -traditional -out "$1" ' + bits + ' 2>/dev/null; }',
    'leaf() { # key crt subj ca ext...',
    '  local k=$1 c=$2 s=$3 ca=$4; shift 4',
    '  key "$k"',
    `  openssl req -config req.cnf -x509 -new -key "$k" -CA "$ca.crt" -CAkey "$ca.key" -subj "$s" -days ${days} "$@" -out "$c"`,
    '}',
    'kubeconfig() { # file server user subj',
    '  local f=$1 server=$2 user=$3 s=$4 tmp; tmp=$(mktemp -d)',
    '  leaf "$tmp/k" "$tmp/c" "$s" ca -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature,keyEncipherment" -addext "extendedKeyUsage=clientAuth"',
    '  cat > "$f" <<EOF',
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    '    certificate-authority-data: $(base64 -w0 ca.crt)',
    '    server: $server',
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    '    user: $user',
    '  name: $user@kubernetes',
    'current-context: $user@kubernetes',
    'kind: Config',
    'preferences: {}',
    'users:',
    '- name: $user',
    '  user:',
    '    client-certificate-data: $(base64 -w0 "$tmp/c")',
    '    client-key-data: $(base64 -w0 "$tmp/k")',
    'EOF',
    '  rm -rf "$tmp"',
    '}',
  ];
  for (const ca of CA_SPECS) {
    lines.push(`key ${ca.base}.key`);
    lines.push(
      `openssl req -config req.cnf -x509 -new -key ${ca.base}.key -subj /CN=${ca.cn} -days ${caDays} ` +
        `-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" ` +
        `-addext "subjectAltName=DNS:${ca.cn}" -out ${ca.base}.crt`,
    );
  }
  lines.push('key sa.key', 'openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null', 'chmod 644 ca.crt front-proxy-ca.crt etcd/ca.crt');
  for (const host of cluster.controlPlanes) {
    const root = `nodes/${host.name}`;
    lines.push(`mkdir -p ${root}/pki/etcd`);
    lines.push(`for f in ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub; do cp -p "$f" ${root}/pki/"$f"; done`);
    for (const leaf of nodeLeafSpecs(cluster, host)) {
      const ca = CA_SPECS.find((c) => c.id === leaf.ca)?.base ?? 'ca';
      lines.push(`leaf ${root}/pki/${leaf.base}.key ${root}/pki/${leaf.base}.crt ${q(subj(leaf))} ${ca} ${extArgs(leaf)}`);
      lines.push(`chmod 644 ${root}/pki/${leaf.base}.crt`);
    }
    for (const kc of nodeKubeconfigSpecs(cluster, host)) {
      lines.push(`kubeconfig ${root}/${kc.file} ${q(kc.server)} ${q(kc.user)} ${q(subj(kc.cert))}`);
    }
  }
  lines.push('rm -f req.cnf');
  return `${lines.join('\n')}\n`;
}

function runScript(script: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, dir], { maxBuffer: 1 << 20 }, (err, _out, stderr) => (err ? reject(new Error(`openssl script failed: ${stderr}`)) : resolve()));
  });
}

/** Wall and CPU time of `fn` (CPU: user + system of the whole process, thread pool included). */
async function timedCpu(fn: () => Promise<unknown>): Promise<[number, number]> {
  const cpu = process.cpuUsage();
  const wall = await timed(fn);
  const used = process.cpuUsage(cpu);
  return [wall, (used.user + used.system) / 1000];
}

export async function benchPki(opts: { runs?: number; log?: Log } = {}): Promise<PkiBenchResult> {
  const runs = opts.runs ?? 5;
  const log = opts.log ?? stdoutLog;
  const cluster = await loadClusterFile(EXAMPLE);
  const keys = keyCount(cluster);
  const bits = cluster.certificates.keyBits;
  const work = mkdtempSync(join(tmpdir(), 'k8sprep-bench-pki-'));
  const script = join(work, 'pki.sh');
  writeFileSync(script, opensslScript(cluster), { mode: 0o700 });
  const result: PkiBenchResult = { keys, runs, floorMs: [], k8sprepMs: [], opensslMs: [], floorCpuMs: [], k8sprepCpuMs: [], targets: [] };
  log(
    `PKI benchmark: ${cluster.controlPlanes.length} control planes (${keys} RSA-${bits} keys), ${runs} runs each, ` +
      `${availableParallelism()} CPU(s), UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  try {
    // Warm up (JIT, module loading) outside the measurements.
    await generatePki(cluster, join(work, 'warmup'));
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift (thermal, noisy neighbours) hits all three alike.
      const [floorWall, floorCpu] = await timedCpu(() => floor(keys, bits));
      result.floorMs.push(floorWall);
      result.floorCpuMs.push(floorCpu);
      const dir = join(work, `k8sprep-${i}`);
      const [wall, cpu] = await timedCpu(() => generatePki(cluster, dir));
      result.k8sprepMs.push(wall);
      result.k8sprepCpuMs.push(cpu);
      const odir = join(work, `openssl-${i}`);
      result.opensslMs.push(
        await timed(async () => {
          mkdirSync(odir, { recursive: true, mode: 0o700 });
          await runScript(script, odir);
        }),
      );
      log(
        `  run ${i + 1}: floor ${(result.floorMs[i] ?? 0).toFixed(0)} ms, k8sprep ${(result.k8sprepMs[i] ?? 0).toFixed(0)} ms, openssl ${(result.opensslMs[i] ?? 0).toFixed(0)} ms`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const f = median(result.floorMs);
  const k = median(result.k8sprepMs);
  const o = median(result.opensslMs);
  const fc = median(result.floorCpuMs);
  const kc = median(result.k8sprepCpuMs);
  result.targets = [target('pki', 'k8sprep / floor', k / f, '<=', 1.3), target('pki', 'openssl / k8sprep', o / k, '>=', 3)];
  log(`floor   (${keys} x async generateKeyPair at once)  median ${(f / 1000).toFixed(2)} s  (CPU ${(fc / 1000).toFixed(2)} s)`);
  log(`k8sprep (generatePki)                      median ${(k / 1000).toFixed(2)} s  (CPU ${(kc / 1000).toFixed(2)} s)`);
  log(`openssl (CLI script, sequential)           median ${(o / 1000).toFixed(2)} s`);
  log(`${targetLine(result.targets[0]!)}; ${(kc / fc).toFixed(2)}x in CPU time`);
  log(targetLine(result.targets[1]!));
  // No implementation beats the floor, so this bounds the second ratio on this machine.
  log(`openssl / floor   = ${(o / f).toFixed(2)}x  (the best openssl / k8sprep any implementation could reach on ${availableParallelism()} CPU(s))`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.env.RUNS ?? 5);
  await benchPki({ runs });
}
