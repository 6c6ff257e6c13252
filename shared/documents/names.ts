import { ApiError } from "../errors.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_NAME_LENGTH = 255;

/** A name given explicitly must be a plain file name: no path separators, no control characters. */
export function validateDocumentName(name: string): string {
  const trimmed = name.normalize("NFC").trim();
  if (trimmed === "" || trimmed.length > MAX_NAME_LENGTH) {
    throw new ApiError("validation_failed", `name must be 1 to ${MAX_NAME_LENGTH} characters`, {
      field: "name",
    });
  }
  if (CONTROL.test(trimmed) || /[/\\]/.test(trimmed) || trimmed === "." || trimmed === "..") {
    throw new ApiError("validation_failed", "name must not contain path separators or control characters", {
      field: "name",
    });
  }
  return trimmed;
}

/** A browser-sent file name (which may carry a client path like C:\fakepath\x.pdf): its last segment. */
export function nameFromFilename(filename: string | undefined): string {
  const base = (filename ?? "").split(/[/\\]/).pop() ?? "";
  return validateDocumentName(base === "" ? "untitled" : base);
}

const TAG = /^[\p{L}\p{N}][\p{L}\p{N} ._:-]{0,63}$/u;

/** Tags: 0–32 of them, each 1–64 letters, digits, spaces or . _ : - ; duplicates dropped. */
export function validateTags(tags: string[]): string[] {
  const unique = [...new Set(tags.map((tag) => tag.normalize("NFC").trim()).filter(Boolean))];
  if (unique.length > 32) throw new ApiError("validation_failed", "at most 32 tags", { field: "tags" });
  const bad = unique.find((tag) => !TAG.test(tag));
  if (bad !== undefined) {
    throw new ApiError("validation_failed", `invalid tag ${JSON.stringify(bad.slice(0, 70))}`, {
      field: "tags",
    });
  }
  return unique;
}
