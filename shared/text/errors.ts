import { ApiError } from "../errors.ts";

const SUPPORTED_FORMATS = "Quarry can index PDF, DOCX, HTML, Markdown, text, CSV and JSON.";

/** The document cannot be turned into text; the message is written for the person who uploaded it. */
export class UnsupportedDocumentError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("unsupported_media_type", message, details);
    this.name = "UnsupportedDocumentError";
  }
}

/** "This file looks like <what>; Quarry can index …" */
export function looksLike(what: string, details: Record<string, unknown> = {}): UnsupportedDocumentError {
  return new UnsupportedDocumentError(`This file looks like ${what}; ${SUPPORTED_FORMATS}`, details);
}
