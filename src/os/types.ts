import type { OsId } from '../cluster/types.js';

/** What differs between distro families, as data and shell fragments. */
export interface OsFamily {
  id: OsId;
  displayName: string;
  /** Condition fragment: /etc/os-release describes this family (and a supported version). */
  osReleaseMatches: string;
  /** Whether swap may also come from zram devices and systemd swap units. */
  hasZram: boolean;
}
