/** What each host claims to be: /etc/os-release and the kernel release `uname -r` reports. */
import type { TestHostOs, TestHostSpec } from './types.js';

export const DEFAULT_KERNEL: Record<TestHostOs, string> = {
  centos7: '3.10.0-1160.119.1.el7.x86_64',
  arch: '6.12.10-arch1-1',
};

export const DEFAULT_ARCH_KUBE = '1.34.2';

// Stock files: CentOS 7.9's /usr/lib/os-release and Arch's (rolling, no VERSION_ID).
const STOCK: Record<TestHostOs, string> = {
  centos7: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`,
  arch: `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
`,
};

export function prettyName(spec: TestHostSpec): string {
  if (spec.identity) return spec.identity.prettyName ?? `${spec.identity.id} ${spec.identity.versionId ?? ''}`.trim();
  return spec.os === 'centos7' ? 'CentOS Linux 7 (Core)' : 'Arch Linux';
}

export function osRelease(spec: TestHostSpec): string {
  const id = spec.identity;
  if (!id) return STOCK[spec.os];
  const lines = [`NAME="${id.prettyName ?? id.id}"`, `ID="${id.id}"`];
  if (id.versionId !== undefined) lines.push(`VERSION_ID="${id.versionId}"`);
  lines.push(`PRETTY_NAME="${prettyName(spec)}"`);
  return `${lines.join('\n')}\n`;
}
