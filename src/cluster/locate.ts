/** Maps a field path in the parsed YAML back to a line and column in the cluster file. */
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node } from 'yaml';

export type FieldPath = readonly (string | number)[];

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out || '(root)';
}

export class SourceLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Position of the value at `path`; `asKey` points at the key instead (unknown keys,
   * duplicates). Falls back to the nearest existing ancestor for missing fields.
   */
  locate(path: FieldPath, asKey = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let best = this.offsetOf(node) ?? 0;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) break;
        const keyOffset = this.offsetOf(pair.key);
        node = pair.value;
        best = (asKey && part === path[path.length - 1] ? keyOffset : (this.offsetOf(node) ?? keyOffset)) ?? best;
      } else if (isSeq(node) && typeof part === 'number' && node.items[part] !== undefined) {
        node = node.items[part];
        best = this.offsetOf(node) ?? best;
      } else {
        break;
      }
    }
    const { line, col } = this.lines.linePos(best);
    return { line, col };
  }

  private offsetOf(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range ? range[0] : undefined;
  }
}
