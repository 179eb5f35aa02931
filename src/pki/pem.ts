/** PEM armor the way kubeadm (Go's encoding/pem) writes it: 64-column base64, `\n` line ends. */

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The first `label` block of a PEM text, or undefined. */
export function pemBlock(text: string, label: string): string | undefined {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`);
  const m = re.exec(text);
  return m ? `${m[0]}\n` : undefined;
}
