/** Prints rows as an aligned Markdown table (so figures can be pasted into notes as they are). */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0] as object);
  const cells = rows.map((row) => headers.map((h) => String(row[h] ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  process.stdout.write(`\n### ${title}\n\n`);
  process.stdout.write(`${line(headers)}\n| ${widths.map((w) => "-".repeat(w)).join(" | ")} |\n`);
  for (const row of cells) process.stdout.write(`${line(row)}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

/** The middle value (the upper one of the two middles for an even count), in any order. */
export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const fmt = (value: number, digits = 1) => value.toFixed(digits);
