export type DocumentKind = "pdf" | "docx" | "html" | "markdown" | "text" | "csv" | "json";

export interface SniffResult {
  kind: DocumentKind;
  mime: string;
}

/** A page's character range `[start, end)` in `ExtractedDocument.text`. */
export interface PageSpan {
  page: number;
  start: number;
  end: number;
}

/** Canonical, Markdown-flavoured text of a document; `pages` is empty for formats without pages. */
export interface ExtractedDocument {
  text: string;
  pages: PageSpan[];
  title: string | null;
}

export interface ExtractLimits {
  /** Total uncompressed size a DOCX archive may declare. */
  maxUnpackedBytes: number;
  /** Entries a DOCX archive may hold. */
  maxEntries: number;
  /** Pages a PDF may have; unlimited when unset. */
  maxPages?: number;
}

export interface ChunkOptions {
  maxTokens: number;
  overlapTokens: number;
}

export interface ChunkDraft {
  idx: number;
  text: string;
  /** sha256 hex of `text`. */
  contentHash: string;
  tokenCount: number;
  /** Page where the chunk starts, null for formats without pages. */
  page: number | null;
  meta: { headings: string[]; page_end?: number };
}
