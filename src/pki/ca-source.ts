/**
 * Which CA signs a host's renewed certificates. The local state directory's CA when it is
 * there and its certificate is the host's (same DER); otherwise the host's own CA key, read
 * over SSH into memory only. A key that does not match its certificate is refused (loadCa),
 * never worked around: signing with it would make certificates nothing trusts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sameCertDer } from './decide.js';
import { PkiError } from './errors.js';
import type { HostFile } from './host-files.js';
import { type CaMaterial, loadCa } from './issue.js';
import { KUBE_DIR, pkiPath } from './layout.js';
import { caSpec, type CaId } from './spec.js';

export interface ChosenCa {
  material: CaMaterial;
  source: 'local' | 'host';
}

async function localPair(dir: string | undefined, base: string): Promise<{ crt: string; key: string } | undefined> {
  if (!dir) return undefined;
  const [crt, key] = await Promise.all([`${base}.crt`, `${base}.key`].map((f) => readFile(join(dir, f), 'utf8').catch(() => undefined)));
  return crt !== undefined && key !== undefined ? { crt, key } : undefined;
}

export async function chooseCa(id: CaId, hostName: string, files: ReadonlyMap<string, HostFile>, localDir: string | undefined): Promise<ChosenCa> {
  const { base } = caSpec(id);
  const hostCrt = files.get(pkiPath(base, 'crt'))?.text;
  const where = `${hostName}:${KUBE_DIR}/${pkiPath(base, 'crt')}`;
  if (hostCrt === undefined) throw new PkiError(`${where}: missing; cannot renew what ${id} signs`);
  const local = await localPair(localDir, base);
  if (local && localDir && sameCertDer(local.crt, hostCrt)) {
    return { material: loadCa(id, local.crt, local.key, join(localDir, `${base}.crt`)), source: 'local' };
  }
  const hostKey = files.get(pkiPath(base, 'key'))?.text;
  if (hostKey === undefined) {
    throw new PkiError(
      `${hostName}: no key for ${id}: ${KUBE_DIR}/${pkiPath(base, 'key')} is missing and the local state directory has no matching ${base}.crt/.key`,
    );
  }
  return { material: loadCa(id, hostCrt, hostKey, where), source: 'host' };
}
