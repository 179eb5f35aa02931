/** `--host ADDRESS --os ... --role ... --version ...`: a one-host cluster without a file (src/cluster/from-flags.ts). */
import { type ClusterSourceFlags, loadClusterFromFlags } from '../../src/cluster/from-flags.js';
import { InputError } from '../../src/errors.js';

async function problems(flags: ClusterSourceFlags): Promise<string[]> {
  try {
    await loadClusterFromFlags(flags);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.message.split('\n');
    throw err;
  }
}

test('a single host: both roles by default, its own endpoint, state dir in the working directory', async () => {
  const c = await loadClusterFromFlags({ host: '192.168.56.11', os: 'centos7', version: '1.30.6' });
  expect(c.hosts).toHaveLength(1);
  expect(c.hosts[0]).toMatchObject({ name: 'node-192-168-56-11', address: '192.168.56.11', os: 'centos7', roles: ['control-plane', 'worker'] });
  expect(c.firstControlPlane.name).toBe('node-192-168-56-11');
  expect(c.apiEndpoint).toEqual({ host: '192.168.56.11', port: 6443 });
  expect(c.stateDir).toBe(`${process.cwd()}/.k8sprep/single`);
  expect(c.hosts[0]?.ssh).toEqual({ user: 'root', port: 22 });
});

test('node names from addresses: DNS names lowercased to their first label; IPv6 is refused', async () => {
  const name = async (host: string) => (await loadClusterFromFlags({ host, os: 'arch', version: '1.30.6' })).hosts[0]?.name;
  expect(await name('Node1.Example.COM')).toBe('node1');
  expect(await problems({ host: 'fd00::1', os: 'arch', version: '1.30.6' })).toEqual([
    '--host: "fd00::1": IPv6 is not supported yet (use an IPv4 address or a host name)',
  ]);
});

test('--role and --user', async () => {
  const c = await loadClusterFromFlags({ host: '10.0.0.5', os: 'arch', version: '1.34.2', role: 'control-plane', user: 'admin' });
  expect(c.hosts[0]?.roles).toEqual(['control-plane']);
  expect(c.hosts[0]?.ssh.user).toBe('admin');
});

test('problems are reported against the flag that caused them', async () => {
  expect(await problems({ host: '10.0.0.5', os: 'arch', version: '1.34.2', role: 'worker' })).toEqual([
    '--role: needs at least one host with the control-plane role',
  ]);
  expect(await problems({ host: '10.0.0.5', os: 'arch', version: '1.34.2', role: 'control-plane,boss' })).toEqual([
    '--role: "boss" is not one of control-plane, worker',
  ]);
  expect(await problems({ host: '10.0.0.5', os: 'arch', version: '1.27.0' })).toEqual([
    '--version: Kubernetes 1.27.0 is not supported (k8sprep supports 1.28 and newer)',
  ]);
  expect(await problems({ host: '10.0.0.5', os: 'centos7', version: '1.35.0' })).toEqual([
    "--os: Kubernetes 1.35.0 cannot run on CentOS 7: from 1.35 the kubelet refuses cgroup v1, and CentOS 7's 3.10 kernel has only cgroup v1 (use 1.34 or older, or another OS)",
  ]);
  expect(await problems({ host: '$(touch /tmp/k8sprep-pwned)', os: 'arch', version: '1.34.2' })).toEqual([
    '--host: "$(touch /tmp/k8sprep-pwned)" is not an IP address or host name',
  ]);
  expect(await problems({ host: '10.0.0.5', os: 'arch', version: '1.34.2', user: 'a b' })).toEqual(['--user: "a b" is not a valid user name']);
});

test('flag combinations', async () => {
  expect(await problems({ config: 'c.yaml', host: '10.0.0.5' })).toEqual(['--host: cannot be combined with -c/--config']);
  expect(await problems({ host: '10.0.0.5' })).toEqual(['--host: needs --os and --version']);
  expect(await problems({ host: '10.0.0.5', os: 'arch' })).toEqual(['--host: needs --version']);
  for (const flag of ['os', 'role', 'version', 'user'] as const) {
    expect(await problems({ config: 'c.yaml', [flag]: 'x' })).toEqual([`--${flag}: only goes with --host (the cluster file sets it otherwise)`]);
  }
});
