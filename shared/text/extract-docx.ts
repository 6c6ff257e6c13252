import mammoth from "mammoth";
import { UnsupportedDocumentError } from "./errors.ts";
import { createHtmlToMarkdown } from "./html-to-markdown.ts";
import type { ExtractedDocument, ExtractLimits } from "./types.ts";
import { inspectZip } from "./zip-guard.ts";

// Headings by style id as well as by style name, so documents without styles.xml keep their headings.
const STYLE_MAP = [
  "p.Title => h1:fresh",
  ...[1, 2, 3, 4, 5, 6].map((level) => `p.Heading${level} => h${level}:fresh`),
];

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function coreTitle(parts: Map<string, Uint8Array>): string | null {
  const core = parts.get("docProps/core.xml");
  if (!core) return null;
  const match = /<dc:title>([^<]*)<\/dc:title>/.exec(new TextDecoder().decode(core));
  const title = match?.[1]
    .replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name])
    .trim();
  return title || null;
}

function firstHeading(markdown: string): string | null {
  return /^#{1,6}[ \t]+(.+)$/m.exec(markdown)?.[1].trim() ?? null;
}

/**
 * DOCX → HTML (mammoth) → Markdown, so headings and tables survive. The archive is checked first
 * (size, entry count, compression ratio, honest sizes) so mammoth never inflates a zip bomb.
 */
export async function extractDocx(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractedDocument> {
  const parts = inspectZip(bytes, limits);
  if (!parts.has("word/document.xml")) {
    throw new UnsupportedDocumentError("This ZIP archive is not a Word document (no word/document.xml).");
  }
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        styleMap: STYLE_MAP,
        ignoreEmptyParagraphs: true,
        externalFileAccess: false,
        convertImage: mammoth.images.imgElement(async () => ({ src: "" })),
      },
    );
    html = result.value;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedDocumentError(`This Word document is damaged and cannot be read (${reason}).`);
  }
  const text = createHtmlToMarkdown()(html).trim();
  if (!text) throw new UnsupportedDocumentError("This Word document contains no text.");
  return { text, pages: [], title: coreTitle(parts) ?? firstHeading(text) };
}
