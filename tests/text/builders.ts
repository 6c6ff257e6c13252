import { strToU8, type ZipOptions, zipSync } from "fflate";
import { PDFDocument, StandardFonts } from "pdf-lib";

/** A PDF with one page per entry of `pages`, each drawn line by line with pdf-lib. */
export async function buildPdf(pages: string[][], title?: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  if (title) pdf.setTitle(title);
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]);
    lines.forEach((line, i) => {
      page.drawText(line, { x: 50, y: 800 - i * 16, size: 11, font });
    });
  }
  return pdf.save();
}

const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`;

const PACKAGE_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`;

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export type DocxBlock = { heading: string; level?: number } | { paragraph: string } | { table: string[][] };

function paragraphXml(text: string, style?: string): string {
  const props = style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : "";
  return `<w:p>${props}<w:r><w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r></w:p>`;
}

function blockXml(block: DocxBlock): string {
  if ("heading" in block) return paragraphXml(block.heading, `Heading${block.level ?? 1}`);
  if ("paragraph" in block) return paragraphXml(block.paragraph);
  const rows = block.table.map(
    (row) => `<w:tr>${row.map((cell) => `<w:tc>${paragraphXml(cell)}</w:tc>`).join("")}</w:tr>`,
  );
  return `<w:tbl>${rows.join("")}</w:tbl>`;
}

/** The minimal OOXML parts of a Word document: content types, package relationships, the body. */
export function docxParts(blocks: DocxBlock[]): Record<string, Uint8Array> {
  const body = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="${W}"><w:body>${blocks.map(blockXml).join("")}</w:body></w:document>`;
  return {
    "[Content_Types].xml": strToU8(CONTENT_TYPES),
    "_rels/.rels": strToU8(PACKAGE_RELS),
    "word/document.xml": strToU8(body),
  };
}

export function buildDocx(blocks: DocxBlock[]): Uint8Array {
  return zipSync(docxParts(blocks));
}

/** A DOCX-looking archive whose document part is `bytes` zeros, deflated at level 9. */
export function buildDocxBomb(bytes: number): Uint8Array {
  const parts = docxParts([{ paragraph: "decoy" }]);
  const options: ZipOptions = { level: 9 };
  return zipSync({
    "[Content_Types].xml": parts["[Content_Types].xml"],
    "_rels/.rels": parts["_rels/.rels"],
    "word/document.xml": [new Uint8Array(bytes), options],
  });
}

/** Rewrites the uncompressed size the central directory declares for `name` (a lying archive). */
export function patchDeclaredSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const copy = new Uint8Array(zip);
  const view = new DataView(copy.buffer);
  let eocd = copy.length - 22;
  while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  let at = view.getUint32(eocd + 16, true);
  const count = view.getUint16(eocd + 10, true);
  for (let i = 0; i < count; i++) {
    const nameLength = view.getUint16(at + 28, true);
    const entryName = new TextDecoder().decode(copy.subarray(at + 46, at + 46 + nameLength));
    if (entryName === name) {
      view.setUint32(at + 24, size, true);
      return copy;
    }
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  throw new Error(`${name} not in archive`);
}

/** Deterministic filler prose: `count` sentences drawn from a fixed vocabulary. */
export function prose(count: number, seed = 1): string {
  const words = [
    "quarry",
    "stone",
    "granite",
    "survey",
    "ledger",
    "river",
    "bridge",
    "signal",
    "harbor",
    "lantern",
    "meadow",
    "copper",
    "timber",
    "archive",
    "compass",
    "orchard",
    "furnace",
    "glacier",
    "canyon",
    "beacon",
  ];
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state;
  };
  const sentences: string[] = [];
  for (let s = 0; s < count; s++) {
    const length = 6 + (next() % 14);
    const picked = Array.from({ length }, () => words[next() % words.length]);
    const sentence = picked.join(" ");
    sentences.push(`${sentence[0].toUpperCase()}${sentence.slice(1)}.`);
  }
  return sentences.join(" ");
}
