import { type FileTypeResult, fileTypeFromBuffer } from "file-type";
import { detectCsvDelimiter } from "./csv.ts";
import { decodeText, isUtf16 } from "./decode.ts";
import { looksLike, UnsupportedDocumentError } from "./errors.ts";
import type { DocumentKind, SniffResult } from "./types.ts";
import { listZipEntries } from "./zip-guard.ts";

const MIME_BY_KIND: Record<DocumentKind, string> = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  html: "text/html",
  markdown: "text/markdown",
  text: "text/plain",
  csv: "text/csv",
  json: "application/json",
};

// Formats whose signature is text but whose content is markup Quarry does not read.
const TEXT_SIGNATURE_EXTENSIONS = new Set(["rtf", "ps", "eps"]);
const SAMPLE_BYTES = 64 * 1024;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

const result = (kind: DocumentKind): SniffResult => ({ kind, mime: MIME_BY_KIND[kind] });

function withArticle(word: string): string {
  return /^[AEFHILMNORSX]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** A short phrase a person recognises: "a PNG image", "a program (executable)". */
function describe(type: FileTypeResult): string {
  const ext = type.ext.toUpperCase();
  if (type.mime.startsWith("image/")) return `${withArticle(ext)} image`;
  if (type.mime.startsWith("audio/")) return `an audio file (${ext})`;
  if (type.mime.startsWith("video/")) return `a video file (${ext})`;
  switch (type.ext) {
    case "zip":
      return "a ZIP archive that is not a Word document";
    case "xlsx":
      return "an Excel spreadsheet (XLSX)";
    case "pptx":
      return "a PowerPoint presentation (PPTX)";
    case "cfb":
      return "an older Microsoft Office file (.doc, .xls or .ppt; save it as DOCX or PDF)";
    case "odt":
    case "ods":
    case "odp":
      return `an OpenDocument file (${ext})`;
    case "epub":
      return "an EPUB e-book";
    case "rtf":
      return "an RTF document (save it as DOCX or PDF)";
    case "exe":
    case "elf":
    case "macho":
    case "wasm":
    case "class":
      return "a program (executable)";
    case "gz":
    case "bz2":
    case "xz":
    case "7z":
    case "rar":
    case "tar":
    case "zst":
      return `${withArticle(ext)} archive`;
    default:
      return `${withArticle(ext)} file (${type.mime})`;
  }
}

async function magicType(bytes: Uint8Array): Promise<FileTypeResult | undefined> {
  try {
    return await fileTypeFromBuffer(bytes);
  } catch {
    // file-type gives up on some malformed containers; a ZIP is then judged by its directory below.
    return undefined;
  }
}

function isZipDocx(bytes: Uint8Array): boolean {
  const names = new Set(listZipEntries(bytes).map((entry) => entry.name));
  return names.has("[Content_Types].xml") && names.has("word/document.xml");
}

/**
 * Text has next to no control bytes besides tab, newlines, form feed and escape; bytes with no structure
 * (compressed, encrypted, random) have about 11 %.
 */
const MAX_CONTROL_SHARE = 0.01;

/** NULs or control bytes beyond what text files have; `maxNulShare` 0 means any NUL counts. */
function looksBinary(sample: Uint8Array, maxNulShare = 0.01): boolean {
  let nuls = 0;
  let controls = 0;
  for (const byte of sample) {
    if (byte === 0) nuls++;
    else if (
      byte < 0x20 &&
      byte !== 0x09 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x0c &&
      byte !== 0x1b
    ) {
      controls++;
    }
  }
  return nuls > sample.length * maxNulShare || controls > sample.length * MAX_CONTROL_SHARE;
}

const HTML_START = /^(?:\s|<!--[\s\S]*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)[\s>]/i;

function looksLikeHtml(text: string): boolean {
  const head = text.slice(0, 4096);
  return HTML_START.test(head) || (/<html[\s>]/i.test(head) && /<\/(?:html|body)>/i.test(text.slice(-4096)));
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trim();
  const first = trimmed[0];
  const last = trimmed[trimmed.length - 1];
  if (!((first === "{" && last === "}") || (first === "[" && last === "]"))) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

const MARKDOWN_STRONG = [
  /^#{1,6}[ \t]+\S/m,
  /^(?:```|~~~)/m,
  /\[[^\]\n]+\]\([^)\s]+\)/,
  /^\|.*\|[ \t]*\n\|[ \t:|-]+\|/m,
];
const MARKDOWN_LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S/gm;

function looksLikeMarkdown(text: string): boolean {
  const head = text.slice(0, SAMPLE_BYTES);
  if (MARKDOWN_STRONG.some((pattern) => pattern.test(head))) return true;
  return (head.match(MARKDOWN_LIST_ITEM)?.length ?? 0) >= 2;
}

/** Classifies decoded text by its content: JSON, HTML, CSV, Markdown, else plain text. */
function sniffText(text: string): SniffResult {
  if (looksLikeJson(text)) return result("json");
  if (looksLikeHtml(text)) return result("html");
  if (detectCsvDelimiter(text)) return result("csv");
  if (looksLikeMarkdown(text)) return result("markdown");
  return result("text");
}

/**
 * The document's kind from its bytes alone, never from its name: magic bytes (file-type) for binary
 * formats, content for text. Throws `UnsupportedDocumentError` for anything Quarry cannot index.
 */
export async function sniffDocument(bytes: Uint8Array): Promise<SniffResult> {
  if (bytes.byteLength === 0) throw new UnsupportedDocumentError("The file is empty.");
  const type = await magicType(bytes);
  if (type?.ext === "pdf") return result("pdf");
  if (type?.ext === "docx") return result("docx");
  const isZip = ZIP_MAGIC.every((byte, i) => bytes[i] === byte);
  if (isZip && (!type || type.ext === "zip")) {
    if (isZipDocx(bytes)) return result("docx");
    throw looksLike("a ZIP archive that is not a Word document");
  }
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  const textual = isUtf16(sample) || !looksBinary(sample, 0);
  // Text formats file-type knows (XML, iCalendar) are read as text. So is text that matched a byte or
  // two of signature (MPEG audio's frame sync 0xFF 0xE_ is "я" and a letter in windows-1251): text
  // has no NUL byte at all, binary formats do. RTF and PostScript have textual signatures: refused.
  if (type && (!textual || TEXT_SIGNATURE_EXTENSIONS.has(type.ext))) {
    throw looksLike(describe(type), { detected_mime: type.mime });
  }
  if (!textual && looksBinary(sample)) throw looksLike("binary data, not text");
  const text = decodeText(bytes);
  if (text.trim().length === 0)
    throw new UnsupportedDocumentError("The file contains only blank space, no text.");
  return sniffText(text);
}
