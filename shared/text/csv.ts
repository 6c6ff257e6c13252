const DELIMITERS = [",", ";", "\t"] as const;
// Pipes are left out on purpose: Markdown tables would look like pipe-separated values.

export type CsvDelimiter = (typeof DELIMITERS)[number];

/** RFC 4180 parsing (quoted fields, doubled quotes, newlines inside quotes), any line ending. */
export function parseCsv(
  text: string,
  delimiter: CsvDelimiter,
  maxRows = Number.POSITIVE_INFINITY,
): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = "";
  };
  while (i < text.length && rows.length < maxRows) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field.length === 0) quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRow();
    } else field += ch;
    i++;
  }
  if ((field.length > 0 || row.length > 0) && rows.length < maxRows) endRow();
  return rows;
}

const SNIFF_ROWS = 20;
const SNIFF_CHARS = 16 * 1024;
const MAX_MEAN_FIELD_LENGTH = 200;

/**
 * The delimiter when `text` looks like a table: at least two rows (first 20 looked at) that all have
 * the same number of fields, at least two, and fields of moderate length (prose is not a table).
 */
export function detectCsvDelimiter(text: string): CsvDelimiter | null {
  let sample = text.slice(0, SNIFF_CHARS);
  if (sample.length < text.length) sample = sample.slice(0, Math.max(sample.lastIndexOf("\n"), 0));
  let best: { delimiter: CsvDelimiter; fields: number } | null = null;
  for (const delimiter of DELIMITERS) {
    const rows = parseCsv(sample, delimiter, SNIFF_ROWS).filter((r) => r.length > 1 || r[0] !== "");
    if (rows.length < 2) continue;
    const fields = rows[0].length;
    if (fields < 2 || rows.some((r) => r.length !== fields)) continue;
    const cells = rows.flat();
    const meanLength = cells.reduce((sum, cell) => sum + cell.length, 0) / cells.length;
    if (meanLength > MAX_MEAN_FIELD_LENGTH) continue;
    if (!best || fields > best.fields) best = { delimiter, fields };
  }
  return best?.delimiter ?? null;
}
