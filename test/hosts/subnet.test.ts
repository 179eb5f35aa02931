/**
 * The harness claims its subnet by address, not by bridge name: an address of the range already
 * on any interface of this machine (here on a link the test makes) refuses the subnet with a
 * message naming the address and the link; without it the same subnet starts.
 */
import { run, runOk } from './proc.js';
import { startTestHosts } from './index.js';

const link = `k8sprobe${process.pid % 100000}`;
const subnet = `127.81.${process.pid % 256}.0/24`;
const taken = subnet.replace(/\.0\/24$/, '.5');

afterAll(async () => {
  await run('ip', ['link', 'del', link]);
});

test('an address in the range on this machine refuses the subnet, naming it; without it the subnet starts', async () => {
  await runOk('ip', ['link', 'add', link, 'type', 'bridge']); // any link: this kernel may lack the dummy driver
  await runOk('ip', ['addr', 'add', `${taken}/32`, 'dev', link]);
  await expect(startTestHosts([{ name: 'h1', os: 'arch' }], { subnet })).rejects.toThrow(
    `test hosts: ${subnet} is in use on this machine: ${taken} on ${link} (ip -o addr); pick another subnet`,
  );
  expect((await run('ip', ['-o', 'link', 'show'])).stdout).not.toContain(`k8sth-51${(process.pid % 256).toString(16).padStart(2, '0')}00:`); // no bridge was made

  await runOk('ip', ['link', 'del', link]);
  const fleet = await startTestHosts([{ name: 'h1', os: 'arch' }], { subnet });
  try {
    expect(fleet.hosts[0]!.address).toBe(subnet.replace(/\.0\/24$/, '.11'));
    expect(() => fleet.cluster).toThrow('test hosts: this fleet has no shared cluster; start it with { sharedCluster: true }');
  } finally {
    await fleet.stop();
  }
}, 120_000);
