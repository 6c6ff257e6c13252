import type { ExtractedDocument, PageSpan } from "./types.ts";

// C0/C1 controls except \t and \n, DEL, soft hyphen, zero-width space, word joiner and BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const INVISIBLE = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F\u00AD\u200B\u2060\uFEFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: vertical tab and NEL are line breaks here.
const LINE_BREAKS = /\r\n?|[\f\u000B\u2028\u2029\u0085]/g;
const EXOTIC_SPACES = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// Runs of blanks and tabs; the ones inside a line (after a non-space) become one space. The character
// before is checked by the replacer: a look-behind would be tried at every position of the text.
const BLANK_RUNS = / [ \t]+|\t[ \t]*/g;
const TRAILING_BLANKS = /[ \t]+$/gm;
// "infor-\nmation" → "information": a letter, a hyphen at the end of a line, a lowercase letter next.
const LINE_END_HYPHENS = /-\n[ \t]*(?=\p{Ll})/gu;
const ENDS_WITH_LETTER = /\p{L}$/u;
const SPACE = /\s/;
const BLANK_LINES = /\n{3,}/g;

function innerBlanks(run: string, offset: number, text: string): string {
  return offset > 0 && !SPACE.test(text[offset - 1] as string) ? " " : run;
}

function brokenWord(hyphen: string, offset: number, text: string): string {
  // Two code units: the letter before may be outside the BMP.
  return ENDS_WITH_LETTER.test(text.slice(Math.max(0, offset - 2), offset)) ? "" : hyphen;
}

/**
 * Canonical form for chunking and search: NFC, `\n` line endings, no control or invisible characters,
 * single spaces inside lines (leading indentation kept), words broken across lines joined, at most one
 * blank line in a row. Idempotent.
 */
export function normalizeText(text: string): string {
  return text
    .normalize("NFC")
    .replace(LINE_BREAKS, "\n")
    .replace(INVISIBLE, "")
    .replace(EXOTIC_SPACES, " ")
    .replace(BLANK_RUNS, innerBlanks)
    .replace(TRAILING_BLANKS, "")
    .replace(LINE_END_HYPHENS, brokenWord)
    .replace(BLANK_LINES, "\n\n")
    .replace(/^\n+/, "")
    .trimEnd();
}

const EDGE_LINES = 3;
const MIN_PAGES_FOR_BOILERPLATE = 3;
const BOILERPLATE_SHARE = 0.6;
const MAX_FURNITURE_LENGTH = 100;

/** Page furniture compares equal across pages: "Page 3 of 10" and "Page 4 of 10" are the same line. */
function lineKey(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed.length > MAX_FURNITURE_LENGTH) return null;
  return trimmed.replace(/\s+/g, " ").replace(/\d+/g, "#").toLowerCase();
}

function edgeIndexes(lines: string[]): number[] {
  const nonEmpty = lines.flatMap((line, i) => (line.trim() ? [i] : []));
  if (nonEmpty.length <= EDGE_LINES * 2) return nonEmpty;
  return [...nonEmpty.slice(0, EDGE_LINES), ...nonEmpty.slice(-EDGE_LINES)];
}

/** Drops header/footer lines: a line near the top or bottom of a page that recurs there on most pages. */
function dropPageFurniture(pageTexts: string[]): string[] {
  if (pageTexts.length < MIN_PAGES_FOR_BOILERPLATE) return pageTexts;
  const pages = pageTexts.map((text) => text.split("\n"));
  const pagesWithKey = new Map<string, number>();
  for (const lines of pages) {
    const keys = new Set(edgeIndexes(lines).map((i) => lineKey(lines[i])));
    for (const key of keys) if (key !== null) pagesWithKey.set(key, (pagesWithKey.get(key) ?? 0) + 1);
  }
  const threshold = Math.max(MIN_PAGES_FOR_BOILERPLATE, Math.ceil(pages.length * BOILERPLATE_SHARE));
  const furniture = new Set([...pagesWithKey].flatMap(([key, count]) => (count >= threshold ? [key] : [])));
  if (furniture.size === 0) return pageTexts;
  return pages.map((lines) => {
    const isFurniture = (i: number) => {
      const key = lineKey(lines[i]);
      return key !== null && furniture.has(key);
    };
    const drop = new Set(edgeIndexes(lines).filter(isFurniture));
    return lines.filter((_, i) => !drop.has(i)).join("\n");
  });
}

/**
 * `normalizeText` for a whole document. Paged documents are normalised page by page, lose their
 * repeated header/footer lines, and get fresh page offsets (pages left without text are dropped).
 */
export function normalizeDocument(doc: ExtractedDocument): ExtractedDocument {
  if (doc.pages.length === 0) return { ...doc, text: normalizeText(doc.text) };
  const cleaned = dropPageFurniture(doc.pages.map((p) => doc.text.slice(p.start, p.end))).map(normalizeText);
  const pages: PageSpan[] = [];
  let text = "";
  cleaned.forEach((pageText, i) => {
    if (!pageText) return;
    if (text) text += "\n\n";
    pages.push({ page: doc.pages[i].page, start: text.length, end: text.length + pageText.length });
    text += pageText;
  });
  return { ...doc, text, pages };
}
