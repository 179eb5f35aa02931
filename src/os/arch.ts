import type { OsFamily } from './types.js';

export const arch: OsFamily = {
  id: 'arch',
  displayName: 'Arch Linux',
  osReleaseMatches: '( . /etc/os-release && [ "${ID:-}" = arch ] )',
  hasZram: true,
};
