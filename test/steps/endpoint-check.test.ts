/**
 * Preflight's network checks for the bootstrap, run in bash with `ip` and `uname` answering
 * as a host would: the VIP must be in the subnet of the interface holding the node's address,
 * and kube-proxy's nftables mode needs kernel 5.13.
 */
import { endpointChecks } from '../../src/steps/preflight/endpoint-check.js';
import { runBash } from '../helpers/bash.js';
import { cluster, ctxFor } from './fixtures.js';
import { parseClusterText } from '../../src/cluster/load.js';

function clusterWith(vip: string, proxyMode = 'ipvs') {
  return parseClusterText(
    `apiVersion: k8sprep.io/v1alpha1
kind: Cluster
metadata: {name: vip}
spec:
  kubernetes: {version: "1.31.2", proxyMode: ${proxyMode}}
  controlPlaneEndpoint: {host: ${vip}, loadBalancer: kube-vip}
  hosts:
    - {name: cp1, address: 10.0.0.11, roles: [control-plane], os: arch}
    - {name: cp2, address: 10.0.0.12, roles: [control-plane], os: arch}
`,
    'vip.yaml',
  );
}

/** The checks' problems, with `ip -o -4 addr show` listing `addr` on eth0 and `uname -r` saying `kernel`. */
function problems(c: ReturnType<typeof clusterWith>, addr: string, kernel = '6.12.10-arch1-1'): string[] {
  const { helpers, calls } = endpointChecks(ctxFor(c, 'cp1', 'arch'));
  expect(calls.length).toBeGreaterThan(0);
  const fakes = [
    `ip() { printf '%s\\n' "1: lo    inet 127.0.0.1/8 scope host lo" "2: eth0    inet ${addr} brd 10.0.255.255 scope global eth0"; }`,
    `uname() { echo ${kernel}; }`,
  ].join('\n');
  const script = [
    'set -euo pipefail',
    'k8sprep_die() { echo "k8sprep: $*" >&2; exit 1; }',
    'P=()',
    'k8sprep_problem() { P+=("$*"); }',
    fakes,
    ...helpers,
    ...calls,
    'printf "%s\\n" "${P[@]}"',
  ].join('\n');
  const r = runBash(script);
  expect([r.status, r.stderr]).toEqual([0, '']);
  return r.stdout.split('\n').filter(Boolean);
}

test('a VIP in the subnet of the interface holding the address passes; outside it is a problem naming both', () => {
  expect(problems(clusterWith('10.0.0.100'), '10.0.0.11/24')).toEqual([]);
  expect(problems(clusterWith('10.0.1.100'), '10.0.0.11/24')).toEqual([
    "the VIP 10.0.1.100 is not in 10.0.0.11/24, the subnet of eth0 which holds this host's address: kube-vip announces it there, and nothing else would reach it",
  ]);
  // A wider subnet takes the VIP in.
  expect(problems(clusterWith('10.0.1.100'), '10.0.0.11/16')).toEqual([]);
});

test('no interface holding the address is a problem', () => {
  expect(problems(clusterWith('10.0.0.100'), '10.0.0.99/24')).toEqual([
    'no interface on this host holds its address 10.0.0.11: kube-vip could not announce the VIP 10.0.0.100',
  ]);
});

test('nftables: kernel 5.13 and newer pass, older kernels are named', () => {
  expect(problems(clusterWith('10.0.0.100', 'nftables'), '10.0.0.11/24', '5.13.0')).toEqual([]);
  expect(problems(clusterWith('10.0.0.100', 'nftables'), '10.0.0.11/24', '5.10.200-1-lts')).toEqual([
    "kernel 5.10.200-1-lts is older than 5.13, which kube-proxy's nftables mode needs: use proxyMode ipvs or iptables",
  ]);
});

test('workers and external load balancers get no VIP check', () => {
  expect(endpointChecks(ctxFor(cluster({ os: 'arch' }), 'w1', 'arch')).calls).toEqual([]);
});
