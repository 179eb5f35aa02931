/**
 * `certs renew`'s summary says exactly what was and was not replaced per host, how far a
 * failed host got, and which hosts were not run; CA and sa files are summed up on one line.
 */
import { emptyReport } from '../../src/actions/certs-renew-report.js';
import { formatRenewSummary } from '../../src/output/renew-summary.js';

test('renewed, failed and not-run hosts, in roll-out order', () => {
  const ok = {
    ...emptyReport({ name: 'cp1', address: '10.0.0.1' }, 'renewed'),
    replaced: ['/etc/kubernetes/pki/apiserver.crt', '/etc/kubernetes/admin.conf'],
    notAfter: '2027-01-01T00:00:00.000Z',
    caSources: { ca: 'local' as const, 'etcd-ca': 'host' as const },
    left: ['ca.crt', 'ca.key'].map((f) => ({ path: `/etc/kubernetes/pki/${f}`, reason: 'CAs and service-account keys are never renewed' })),
    backupDir: '/var/lib/k8sprep/backup/r1',
  };
  const failed = {
    ...emptyReport({ name: 'cp2', address: '10.0.0.2' }, 'failed'),
    failedStep: 'apply',
    reached: 'while restarting the static pods',
    error: 'connection to cp2 (10.0.0.2:22) lost',
    replaced: ['/etc/kubernetes/pki/apiserver.crt'],
    notReplaced: ['/etc/kubernetes/admin.conf'],
    journal: '/var/lib/k8sprep/renew/r1',
  };
  const text = formatRenewSummary({
    runId: 'r1',
    dryRun: false,
    ok: false,
    validityHours: 8760,
    hosts: [ok, failed, emptyReport({ name: 'cp3', address: '10.0.0.3' }, 'not-run')],
  });
  expect(text).toBe(
    [
      'cp1 (10.0.0.1): renewed 2 files, valid until 2027-01-01T00:00:00.000Z; apiserver healthy',
      '  signed with: ca from the local state directory, etcd-ca from the host',
      '  left: /etc/kubernetes/pki/ca.crt, /etc/kubernetes/pki/ca.key: CAs and service-account keys are never renewed',
      '  backup: /var/lib/k8sprep/backup/r1',
      '',
      'cp2 (10.0.0.2): FAILED in apply while restarting the static pods: connection to cp2 (10.0.0.2:22) lost',
      '  replaced:',
      '    /etc/kubernetes/pki/apiserver.crt',
      '  not replaced:',
      '    /etc/kubernetes/admin.conf',
      '  journal: /var/lib/k8sprep/renew/r1',
      '',
      'cp3 (10.0.0.3): not run (the roll-out stopped before this host)',
      '',
      '1 of 3 control plane(s) renewed; see above',
      '',
    ].join('\n'),
  );
});
