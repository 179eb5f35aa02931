/**
 * `node reset --purge`'s step run for real in a fixture root after prep steps ran there: the
 * files prep wrote go back to how they were before k8sprep first touched them (the oldest
 * record: a backup copy restored, a file prep created removed, also when a later run backed
 * up k8sprep's own version), SELinux enforcing again, only the packages prep installed
 * removed, the records moved aside; a second run reports it unchanged.
 */
import { renderHostScript } from '../../src/script/render.js';
import { purgeStep } from '../../src/steps/reset/purge.js';
import { FAKE_STATE, installedPackages, provides, RPM, SYSTEMCTL, YUM } from './fakes.js';
import { FixtureRoot } from './fixture-root.js';
import { cluster, ctxFor, type ClusterOptions, stepScript } from './fixtures.js';

const FSTAB = 'UUID=1 / xfs defaults 0 0\n/dev/mapper/centos-swap swap swap defaults 0 0\n';
const SELINUX_CONFIG = 'SELINUX=enforcing\nSELINUXTYPE=targeted\n';
/** getenforce / setenforce with state, so purge's setenforce 1 is seen by the next check. */
const GETENFORCE = `cat ${FAKE_STATE}/selinux 2>/dev/null || echo Enforcing`;
/** sysctl -n KEY answers what the sysctl.d files say (sysctl --system applied them). */
const SYSCTL = String.raw`if [ "$1" = -n ]; then cat /etc/sysctl.d/*.conf 2>/dev/null | sed -n "s/^$2 *= *//p" | tail -n 1; fi`;
const SETENFORCE = `mkdir -p ${FAKE_STATE}; if [ "$1" = 0 ]; then echo Permissive; else echo Enforcing; fi >${FAKE_STATE}/selinux`;

let root: FixtureRoot | undefined;
afterEach(() => root?.remove());

const prep = (options: ClusterOptions, stepId: string, runId: string) => {
  const r = root!.run(stepScript(cluster(options), 'w1', stepId), [runId]);
  expect([stepId, r.status, r.steps[stepId]]).toEqual([stepId, 0, 'changed']);
};
const purgeScript = () => renderHostScript(ctxFor(cluster(), 'w1'), { id: 'reset-w1', title: 'reset', steps: [purgeStep] }, {}).text;

test('prep undone from its records: files as before k8sprep, SELinux enforcing, only its packages removed; again: unchanged', () => {
  root = new FixtureRoot(
    {
      '/etc/fstab': FSTAB,
      '/etc/selinux/config': SELINUX_CONFIG,
      ...installedPackages(['openssh-server']),
      ...provides('containerd.io', ['containerd', 'runc']),
    },
    { systemctl: SYSTEMCTL, rpm: RPM, yum: YUM, getenforce: GETENFORCE, setenforce: SETENFORCE, sysctl: SYSCTL },
  );
  root.hide(['containerd', 'runc']);
  root.run('rm -f /etc/sysctl.d/99-k8s.conf');
  prep({}, 'swap', '20260101T000000Z-0001');
  prep({}, 'selinux', '20260101T000000Z-0001');
  prep({}, 'sysctl', '20260101T000000Z-0001');
  prep({}, 'containerd-install', '20260101T000000Z-0001');
  // A later run changes k8sprep's own file: its backup is k8sprep's version, not the original.
  prep({ sysctl: { 'vm.swappiness': 1 } }, 'sysctl', '20260102T000000Z-0002');
  expect([
    root.read('/etc/fstab') === FSTAB,
    root.read('/etc/selinux/config') === SELINUX_CONFIG,
    root.read('/etc/sysctl.d/99-k8s.conf') !== undefined,
  ]).toEqual([false, false, true]);
  expect(root.read('/var/lib/k8sprep/prep/installed-packages')).toBe('containerd.io\n');
  root.clearCalls();

  const first = root.run(purgeScript(), ['20260103T000000Z-0003']);
  expect([first.status, first.steps.purge, first.stderr]).toEqual([0, 'changed', expect.any(String)]);
  expect(root.read('/etc/fstab')).toBe(FSTAB);
  expect(root.read('/etc/selinux/config')).toBe(SELINUX_CONFIG);
  expect(root.read('/etc/sysctl.d/99-k8s.conf')).toBeUndefined();
  expect(root.callsOf('setenforce')).toEqual([['1']]);
  expect(root.callsOf('yum')).toEqual([['remove', '-y', '-q', 'containerd.io']]);
  expect(root.read('/var/lib/k8sprep/backup/20260101T000000Z-0001/etc/fstab')).toBeUndefined();
  expect(root.read('/var/lib/k8sprep/purged/20260103T000000Z-0003/backup/20260101T000000Z-0001/etc/fstab')).toBe(FSTAB);
  expect(root.read('/var/lib/k8sprep/purged/20260103T000000Z-0003/prep/installed-packages')).toBe('containerd.io\n');

  root.clearCalls();
  const second = root.run(purgeScript(), ['20260104T000000Z-0004']);
  expect([second.status, second.steps.purge]).toEqual([0, 'unchanged']);
  expect(root.callsOf('yum')).toEqual([]);
});
