/**
 * `certs renew`'s planning and scripts without hosts: from a node tree of `certs generate`
 * (as the read script returns it), every leaf and embedded kubeconfig credential is
 * re-issued with the same subject/SANs/EKU, a new key, the requested validity, by the right
 * CA (local when it matches the host's, else the host's); kubeconfigs keep everything but
 * the credentials; a rotated kubelet.conf, CAs and sa keys are left; a CA key that does not
 * match is refused. The rendered scripts pass bash -n and shellcheck, and the dry-run bytes
 * hold no key material.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePki } from '../../src/pki/generate.js';
import { PkiError } from '../../src/pki/errors.js';
import { parseKubeconfig } from '../../src/pki/kubeconfig.js';
import { renderReadScript } from '../../src/steps/certs/read.js';
import { renderApplyScript, renderRecoverScript } from '../../src/steps/certs/renew-apply.js';
import { renderCommitScript } from '../../src/steps/certs/renew-commit.js';
import { planHostRenewal } from '../../src/pki/renew-plan.js';
import { readCert } from '../../src/pki/x509.js';
import { dryRunBytes } from '../../src/run/dry-run.js';
import { bashSyntax, requireShellcheck, shellcheck } from '../helpers/bash.js';
import { testCluster, tempDir } from './fixture.js';
import { hostFilesFrom, remoteFilesFrom } from './remote-fixture.js';

let tmp: ReturnType<typeof tempDir>;
let pki = '';
let other = '';
const cluster = testCluster({ name: 'renewplan', certValidity: '720h' });
const host = (name: string) => cluster.controlPlanes.find((h) => h.name === name)!;
const now = new Date();
const opts = (localPkiDir?: string) => ({ validity: { hours: 48, now }, keyBits: 2048, localPkiDir });

beforeAll(async () => {
  tmp = tempDir('k8sprep-renew-plan-');
  pki = join(tmp.path, 'pki');
  other = join(tmp.path, 'other');
  await generatePki(cluster, pki);
  await generatePki(testCluster({ name: 'other' }), other);
});
afterAll(() => tmp?.remove());

test('every leaf and kubeconfig credential re-issued: same subject, SANs, EKU; new key; requested validity; CAs and sa left', async () => {
  const files = await hostFilesFrom(pki, cluster, 'cp1');
  const plan = await planHostRenewal(cluster, host('cp1'), files, opts());
  const rels = plan.files.map((f) => f.rel).sort();
  const leaves = [
    'apiserver',
    'apiserver-kubelet-client',
    'front-proxy-client',
    'apiserver-etcd-client',
    'etcd/server',
    'etcd/peer',
    'etcd/healthcheck-client',
  ];
  const confs = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'];
  expect(rels).toEqual([...leaves.flatMap((l) => [`pki/${l}.crt`, `pki/${l}.key`]), ...confs].sort());
  expect(plan.caSources).toEqual({ ca: 'host', 'front-proxy-ca': 'host', 'etcd-ca': 'host' });
  expect(plan.left.map((l) => l.path).sort()).toEqual(
    ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']
      .map((p) => `/etc/kubernetes/pki/${p}`)
      .sort(),
  );
  for (const leaf of leaves) {
    const before = readCert(files.get(`pki/${leaf}.crt`)!.text);
    const after = readCert(plan.files.find((f) => f.rel === `pki/${leaf}.crt`)!.content);
    expect([leaf, after.subject, after.sans, after.eku]).toEqual([leaf, before.subject, before.sans, before.eku]);
    expect(after.serialHex).not.toBe(before.serialHex);
    expect(after.notAfter.getTime() - now.getTime()).toBe(48 * 3_600_000 - (now.getTime() % 1000));
    expect(plan.files.find((f) => f.rel === `pki/${leaf}.key`)!.content).not.toBe(files.get(`pki/${leaf}.key`)!.text);
  }
  const admin = files.get('admin.conf')!.text;
  const renewed = plan.files.find((f) => f.rel === 'admin.conf')!.content;
  const a = parseKubeconfig(admin);
  const b = parseKubeconfig(renewed);
  if (typeof a === 'string' || typeof b === 'string') throw new Error('unparsable');
  expect({ ...b, certPem: undefined, keyPem: undefined }).toEqual({ ...a, certPem: undefined, keyPem: undefined });
  expect(b.keyPem).not.toBe(a.keyPem);
  expect(readCert(b.certPem!).subject).toEqual(readCert(a.certPem!).subject);
  // Only the two credential values differ, line for line.
  const diff = admin.split('\n').filter((l, i) => l !== renewed.split('\n')[i]);
  expect(diff.map((l) => l.trim().split(':')[0])).toEqual(['client-certificate-data', 'client-key-data']);
  expect(plan.expected.map((e) => e.target)).toEqual(
    expect.arrayContaining(['/etc/kubernetes/pki/ca.crt', '/etc/kubernetes/pki/etcd/ca.crt', '/etc/kubernetes/admin.conf']),
  );
});

test("the local CA is used when its certificate is the host's; a different local CA falls back to the host's", async () => {
  const files = remoteFilesFrom(join(pki, 'nodes/cp2'));
  expect((await planHostRenewal(cluster, host('cp2'), files, opts(pki))).caSources).toEqual({ ca: 'local', 'front-proxy-ca': 'local', 'etcd-ca': 'local' });
  expect((await planHostRenewal(cluster, host('cp2'), files, opts(other))).caSources).toEqual({ ca: 'host', 'front-proxy-ca': 'host', 'etcd-ca': 'host' });
});

test('a CA key that does not match its certificate is refused, on the host and locally', async () => {
  const files = remoteFilesFrom(join(pki, 'nodes/cp2'));
  files.set('pki/etcd/ca.key', { ...files.get('pki/etcd/ca.key')!, text: remoteFilesFrom(join(other, 'nodes/cp2')).get('pki/etcd/ca.key')!.text });
  await expect(planHostRenewal(cluster, host('cp2'), files, opts())).rejects.toThrow(PkiError);
  await expect(planHostRenewal(cluster, host('cp2'), files, opts())).rejects.toThrow(
    /cp2:\/etc\/kubernetes\/pki\/etcd\/ca\.crt: the CA private key does not match the CA certificate/,
  );
  const local = join(tmp.path, 'badlocal');
  cpSync(pki, local, { recursive: true });
  cpSync(join(other, 'ca.key'), join(local, 'ca.key'));
  await expect(planHostRenewal(cluster, host('cp2'), remoteFilesFrom(join(pki, 'nodes/cp2')), opts(local))).rejects.toThrow(
    /badlocal\/ca\.crt: the CA private key does not match/,
  );
});

test('a kubelet.conf pointing at the rotated kubelet-client-current.pem is left, and says why', async () => {
  const files = await hostFilesFrom(pki, cluster, 'cp3', 'rotated');
  const plan = await planHostRenewal(cluster, host('cp3'), files, opts());
  expect(plan.files.map((f) => f.rel)).not.toContain('kubelet.conf');
  expect(plan.left).toContainEqual({
    path: '/etc/kubernetes/kubelet.conf',
    reason: 'its client certificate is /var/lib/kubelet/pki/kubelet-client-current.pem, which the kubelet rotates itself; left as it is',
  });
});

test('the scripts pass bash -n and shellcheck; the dry-run bytes hold placeholders, never key material', async () => {
  requireShellcheck();
  const h = host('cp1');
  const plan = await planHostRenewal(cluster, h, remoteFilesFrom(join(pki, 'nodes/cp1')), opts());
  const apply = dryRunBytes(renderApplyScript({ host: h, plan, waitSeconds: 300, apiserverPort: 6443 }), undefined);
  const scripts = {
    'read.sh': renderReadScript('cp1'),
    'apply.sh': apply,
    'recover.sh': renderRecoverScript(h),
    'commit.sh': renderCommitScript({ host: h, targets: plan.files.map((f) => f.target), waitSeconds: 300, apiserverPort: 6443 }),
  };
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(tmp.path, name), text);
    expect([name, bashSyntax(text).stderr]).toEqual([name, '']);
  }
  const sc = shellcheck(Object.keys(scripts).map((n) => join(tmp.path, n)));
  expect(sc.stdout).toBe('');
  expect(apply).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|client-key-data/);
  for (const f of plan.files) expect(apply).toContain(`k8sprep_renew_stage ${f.target} <<'K8SPREP_EOF' || return 1\n<redacted:${f.secret}>\nK8SPREP_EOF`);
  expect(apply).toContain('<redacted:etcd-server.key>');
  expect(apply).toContain('<redacted:admin.conf>');
});
