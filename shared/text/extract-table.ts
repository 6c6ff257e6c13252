import { type CsvDelimiter, detectCsvDelimiter, parseCsv } from "./csv.ts";
import type { ExtractedDocument } from "./types.ts";

const GROUP_MAX_ROWS = 25;
const GROUP_MAX_CHARS = 1000;

function cell(value: string): string {
  return value.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

function tableRow(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/**
 * CSV → Markdown tables of up to 25 rows (or ~1,000 characters), each repeating the header row and
 * separated by a blank line, so every chunk cut at a group boundary still says what its columns mean.
 */
export function extractCsv(
  text: string,
  delimiter: CsvDelimiter | null = detectCsvDelimiter(text),
): ExtractedDocument {
  const rows = parseCsv(text, delimiter ?? ",").filter((row) => row.some((value) => value.trim() !== ""));
  if (rows.length === 0) return { text: "", pages: [], title: null };
  const width = Math.max(...rows.map((row) => row.length));
  const header = Array.from({ length: width }, (_, i) => cell(rows[0][i] ?? "") || `column ${i + 1}`);
  const headerLines = `${tableRow(header)}\n${tableRow(header.map(() => "---"))}`;
  const groups: string[] = [];
  let lines: string[] = [];
  let chars = 0;
  const flush = () => {
    if (lines.length > 0) groups.push(`${headerLines}\n${lines.join("\n")}`);
    lines = [];
    chars = 0;
  };
  for (const row of rows.slice(1)) {
    const line = tableRow(Array.from({ length: width }, (_, i) => cell(row[i] ?? "")));
    if (lines.length >= GROUP_MAX_ROWS || (lines.length > 0 && chars + line.length > GROUP_MAX_CHARS))
      flush();
    lines.push(line);
    chars += line.length;
  }
  flush();
  return { text: groups.length > 0 ? groups.join("\n\n") : headerLines, pages: [], title: null };
}
