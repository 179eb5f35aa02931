/**
 * The haproxy lab (test/helpers/haproxy.ts): Debian's haproxy with the kubeadm HA guide's
 * configuration in front of two stand-in apiservers, in a network namespace of its own. The
 * health check must take a dead apiserver out and bring it back, and which apiserver answered
 * is proved by its certificate (each one's SAN is its name).
 */
import { LB_TOOLS, requireTools } from './index.js';
import { kubeadmGuideHaproxyCfg, startHaproxyLab, type HaproxyLab } from '../helpers/haproxy.js';

/** kubeadm's HA guide haproxy.cfg, port 8443 in front of 6443, checked every 500 ms. */
const CFG = kubeadmGuideHaproxyCfg([
  'server cp1 127.0.0.11:6443 check inter 500 fall 2 rise 2 verify none',
  'server cp2 127.0.0.12:6443 check inter 500 fall 2 rise 2 verify none',
]);

let lab: HaproxyLab;

beforeAll(async () => {
  lab = await startHaproxyLab([
    { name: 'cp1', address: '127.0.0.11' },
    { name: 'cp2', address: '127.0.0.12' },
  ]);
});
afterAll(async () => {
  await lab?.stop();
});

/** /healthz through haproxy's frontend, verified as `name`'s certificate (connect-to keeps the name for TLS). */
async function throughHaproxyAs(name: string): Promise<{ code: number; out: string }> {
  const r = await lab.exec([
    'curl',
    '-sS',
    '--max-time',
    '3',
    '--cacert',
    lab.caFile,
    '--connect-to',
    `${name}:8443:127.0.0.1:8443`,
    `https://${name}:8443/healthz`,
  ]);
  return { code: r.code, out: r.stdout || r.stderr };
}

test('the health check takes a dead apiserver out and brings it back; traffic goes to the live one', async () => {
  await lab.startHaproxy(CFG);
  await lab.waitForServerState('apiserverbackend', 'cp1', 'UP');
  await lab.waitForServerState('apiserverbackend', 'cp2', 'UP');
  // Round robin: both answer through the frontend.
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    for (const name of ['cp1', 'cp2']) if ((await throughHaproxyAs(name)).out === 'ok') seen.add(name);
  }
  expect([...seen].sort()).toEqual(['cp1', 'cp2']);

  await lab.apiserver('cp1').stop();
  await lab.waitForServerState('apiserverbackend', 'cp1', 'DOWN');
  expect(await lab.serverState('apiserverbackend', 'cp2')).toBe('UP');
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await throughHaproxyAs('cp2'));
  expect(answers).toEqual(Array(4).fill({ code: 0, out: 'ok' }));
  expect(lab.haproxyLog()).toMatch(/Server apiserverbackend\/cp1 is DOWN/);

  await lab.apiserver('cp1').start();
  await lab.waitForServerState('apiserverbackend', 'cp1', 'UP');
  expect(lab.haproxyLog()).toMatch(/Server apiserverbackend\/cp1 is UP, reason: Layer7 check passed, code: 200/);
});

test('a config haproxy refuses fails startHaproxy with haproxy -c output', async () => {
  const other = await startHaproxyLab([{ name: 'cp1', address: '127.0.0.11' }]);
  try {
    await expect(other.startHaproxy(CFG.replace('http-check connect ssl', 'http-check connect sssl'))).rejects.toThrow(
      /haproxy refused the config:[\s\S]*sssl/,
    );
  } finally {
    await other.stop();
  }
});

test('requireTools names the Debian package of a missing load-balancer tool', () => {
  expect(LB_TOOLS.map(([, pkg]) => pkg)).toEqual(['haproxy', 'keepalived']);
  expect(() => requireTools([['/nonexistent/sbin/keepalived', 'keepalived']])).toThrow('/nonexistent/sbin/keepalived missing: apt-get install keepalived');
});
