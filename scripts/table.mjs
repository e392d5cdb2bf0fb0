// The fixed-width summary table the scripts print at the end of a run.

/**
 * Columns padded to their widest cell, a dashed rule under the header, trailing spaces trimmed.
 * Short rows are padded. `numbers: true` right-aligns every column but the first.
 * @param {string[]} header
 * @param {unknown[][]} rows
 * @param {{ numbers?: boolean }} [options]
 */
export function table(header, rows, { numbers = false } = {}) {
  const all = [header, ...rows].map((row) => header.map((_, i) => String(row[i] ?? '')));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (/** @type {string[]} */ row) =>
    row
      .map((cell, i) => (numbers && i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}
