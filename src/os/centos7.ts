import type { OsFamily } from './types.js';

export const centos7: OsFamily = {
  id: 'centos7',
  displayName: 'CentOS 7',
  osReleaseMatches: '( . /etc/os-release && [ "${ID:-}" = centos ] && [ "${VERSION_ID:-}" = 7 ] )',
  hasZram: false,
};
