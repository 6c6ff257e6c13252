import { decodeText } from "./decode.ts";
import { UnsupportedDocumentError } from "./errors.ts";
import { extractDocx } from "./extract-docx.ts";
import { extractHtml } from "./extract-html.ts";
import { extractJson } from "./extract-json.ts";
import { extractPdf } from "./extract-pdf.ts";
import { extractCsv } from "./extract-table.ts";
import type { DocumentKind, ExtractedDocument, ExtractLimits } from "./types.ts";

function markdownTitle(text: string): string | null {
  return /^#[ \t]+(.+)$/m.exec(text)?.[1].trim() ?? null;
}

/** Canonical Markdown-flavoured text of a document whose kind `sniffDocument` decided. */
export async function extractDocument(
  bytes: Uint8Array,
  kind: DocumentKind,
  limits: ExtractLimits,
): Promise<ExtractedDocument> {
  if (bytes.byteLength === 0) throw new UnsupportedDocumentError("The file is empty.");
  switch (kind) {
    case "pdf":
      return extractPdf(bytes, limits);
    case "docx":
      return extractDocx(bytes, limits);
    case "html":
      return extractHtml(bytes);
    case "csv":
      return extractCsv(decodeText(bytes));
    case "json":
      return extractJson(decodeText(bytes));
    case "markdown": {
      const text = decodeText(bytes);
      return { text, pages: [], title: markdownTitle(text) };
    }
    case "text":
      return { text: decodeText(bytes), pages: [], title: null };
  }
}
