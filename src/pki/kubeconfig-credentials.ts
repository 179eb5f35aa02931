/**
 * Renewal rewrites only a kubeconfig's client credentials: the current context's user gets
 * the new `client-certificate-data` and `client-key-data`; server, CA, names and anything
 * else in the file stay exactly as they are (renew never touches CAs or endpoints).
 */
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function named(list: unknown, name: unknown): YAMLMap | undefined {
  if (!isSeq(list)) return undefined;
  const items = list.items.filter(isMap);
  return items.find((i) => i.get('name') === name) ?? (items.length === 1 ? items[0] : undefined);
}

/** The file with the current user's embedded credentials replaced; throws when there is no such user. */
export function replaceClientCredentials(text: string, certPem: string, keyPem: string): string {
  const doc = parseDocument(text);
  const context = named(doc.get('contexts'), doc.get('current-context'))?.get('context');
  const userName = isMap(context) ? context.get('user') : undefined;
  const user = named(doc.get('users'), userName)?.get('user');
  if (!isMap(user)) throw new Error('the kubeconfig has no user for its current context');
  user.set('client-certificate-data', b64(certPem));
  user.set('client-key-data', b64(keyPem));
  // As Go's YAML (and so kubeadm) writes it: list items at their key's indentation, no folding.
  return doc.toString({ lineWidth: 0, indentSeq: false });
}
