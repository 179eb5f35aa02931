import type { OsId } from '../cluster/types.js';
import { arch } from './arch.js';
import { centos7 } from './centos7.js';
import type { OsFamily } from './types.js';

const FAMILIES: Record<OsId, OsFamily> = { centos7, arch };

export function osFamily(id: OsId): OsFamily {
  return FAMILIES[id];
}

export interface OsRelease {
  id: string;
  versionId: string;
  prettyName: string;
}

/** Parses /etc/os-release (shell-style KEY=value, optionally quoted). */
export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) values.set(m[1] ?? '', (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
  }
  const id = values.get('ID') ?? '';
  const versionId = values.get('VERSION_ID') ?? '';
  return { id, versionId, prettyName: values.get('PRETTY_NAME') ?? (`${id} ${versionId}`.trim() || 'an unknown OS') };
}

/** The supported family an os-release describes, or a refusal naming the OS. */
export function osFromRelease(release: OsRelease): { os: OsId } | { refusal: string } {
  if (release.id === 'centos' && release.versionId === '7') return { os: 'centos7' };
  if (release.id === 'arch') return { os: 'arch' };
  return { refusal: `runs ${release.prettyName} (ID=${release.id || '?'} VERSION_ID=${release.versionId || '?'}); k8sprep supports CentOS 7 and Arch Linux` };
}
