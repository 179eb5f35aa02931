/**
 * The one table formatter of the CLI: left-aligned columns separated by `gap` spaces, the last
 * column never padded (no trailing blanks), rows as given (the first is usually the header).
 */
export function formatTable(rows: readonly (readonly string[])[], gap = 2): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const sep = ' '.repeat(gap);
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join(sep)
        .trimEnd(),
    )
    .join('\n');
}
