/**
 * Test users that exist only inside a test sshd's mount namespace: copies of /etc/passwd,
 * /etc/shadow, /etc/group with extra lines and a small /etc/sudoers, bind-mounted over
 * the real files there (see SshdOptions.bindMounts). The real machine gets no users.
 */
import { chownSync, copyFileSync, appendFileSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './sshd.js';

export interface TestUser {
  name: string;
  uid: number;
  password: string;
  sudo: 'password' | 'nopasswd' | 'none';
}

/** Writes the files under `dir` and returns the bind mounts; each user's home is `dir/home/<name>`. */
export function etcWithUsers(dir: string, users: readonly TestUser[]): Record<string, string> {
  const etc = join(dir, 'etc');
  mkdirSync(etc, { recursive: true });
  for (const f of ['passwd', 'shadow', 'group']) copyFileSync(`/etc/${f}`, join(etc, f));
  const sudoers = ['Defaults env_reset', 'Defaults passwd_tries=1', 'Defaults lecture=never', 'root ALL=(ALL:ALL) ALL'];
  for (const u of users) {
    const home = join(dir, 'home', u.name);
    mkdirSync(home, { recursive: true, mode: 0o755 });
    chownSync(home, u.uid, u.uid);
    const hash = run('openssl', ['passwd', '-6', '-stdin'], { input: `${u.password}\n` }).trim();
    appendFileSync(join(etc, 'passwd'), `${u.name}:x:${u.uid}:${u.uid}:k8sprep test:${home}:/bin/bash\n`);
    appendFileSync(join(etc, 'shadow'), `${u.name}:${hash}:19000:0:99999:7:::\n`);
    appendFileSync(join(etc, 'group'), `${u.name}:x:${u.uid}:\n`);
    if (u.sudo !== 'none') sudoers.push(`${u.name} ALL=(ALL:ALL) ${u.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL`);
  }
  writeFileSync(join(etc, 'sudoers'), `${sudoers.join('\n')}\n`);
  chmodSync(join(etc, 'sudoers'), 0o440);
  return Object.fromEntries(['passwd', 'shadow', 'group', 'sudoers'].map((f) => [`/etc/${f}`, join(etc, f)]));
}
