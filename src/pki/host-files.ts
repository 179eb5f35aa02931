/** Files read from a host's /etc/kubernetes: what inspection and renewal plan from. */

export interface HostFile {
  /** Relative to /etc/kubernetes: `pki/ca.crt`, `admin.conf`. */
  path: string;
  text: string;
  /** Permission bits. */
  mode: number;
  /** `uid:gid`. */
  owner: string;
  /** Hex SHA-256 of the bytes read: what the renewal checks is still there before it swaps. */
  sha256: string;
}

/** The contents by relative path: the map source `inspectNode` and renewal read. */
export function textsOf(files: ReadonlyMap<string, HostFile>): Map<string, string> {
  return new Map([...files].map(([path, f]) => [path, f.text]));
}
