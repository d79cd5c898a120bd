/** A plain-text table for terminals: columns padded to their widest cell, the last one left unpadded. */
export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
