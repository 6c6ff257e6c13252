import { extractText, getDocumentProxy, getMeta } from "unpdf";
import { UnsupportedDocumentError } from "./errors.ts";
import type { ExtractedDocument, ExtractLimits, PageSpan } from "./types.ts";

type PdfProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

async function openPdf(bytes: Uint8Array): Promise<PdfProxy> {
  try {
    // pdf.js takes ownership of (and may detach) the buffer it is given.
    return await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "PasswordException") {
      throw new UnsupportedDocumentError(
        "This PDF is password-protected; remove the password and upload it again.",
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedDocumentError(`This PDF is damaged and cannot be read (${reason}).`);
  }
}

async function pdfTitle(pdf: PdfProxy): Promise<string | null> {
  try {
    const { info } = await getMeta(pdf);
    const title = typeof info.Title === "string" ? info.Title.trim() : "";
    return title || null;
  } catch {
    return null;
  }
}

/** Text per page (pages joined by a blank line); page offsets point into the joined text. */
export async function extractPdf(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractedDocument> {
  const pdf = await openPdf(bytes);
  try {
    if (limits.maxPages !== undefined && pdf.numPages > limits.maxPages) {
      throw new UnsupportedDocumentError(
        `This PDF has ${pdf.numPages} pages; at most ${limits.maxPages} are accepted.`,
        { pages: pdf.numPages },
      );
    }
    let pageTexts: string[];
    try {
      pageTexts = (await extractText(pdf)).text;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UnsupportedDocumentError(`This PDF is damaged and cannot be read (${reason}).`);
    }
    const pages: PageSpan[] = [];
    let text = "";
    pageTexts.forEach((raw, i) => {
      const pageText = raw.trim();
      if (!pageText) return;
      if (text) text += "\n\n";
      pages.push({ page: i + 1, start: text.length, end: text.length + pageText.length });
      text += pageText;
    });
    if (!text) {
      throw new UnsupportedDocumentError(
        "This PDF has no text layer (scanned PDF?); Quarry does not read text from images.",
      );
    }
    return { text, pages, title: await pdfTitle(pdf) };
  } finally {
    await pdf.destroy();
  }
}
