import { ApiError } from "../errors.ts";

// Control characters (NUL cannot even be stored in Postgres text) and invisible format characters.
const INVISIBLE = /[\p{Cc}\p{Cf}]+/gu;

/**
 * The query as it is searched and cached: Unicode NFKC, control and format characters removed,
 * whitespace collapsed, trimmed. Case is kept: a semantic model may care about it.
 */
export function normaliseQuery(raw: string): string {
  return raw.normalize("NFKC").replace(INVISIBLE, " ").replace(/\s+/g, " ").trim();
}

/** The normalised query, or a 422 when it is empty (after normalising) or over `maxChars`. */
export function validQuery(raw: string, maxChars: number): string {
  if (raw.length > maxChars * 4) throw tooLong(maxChars);
  const query = normaliseQuery(raw);
  if (query === "") {
    throw new ApiError("validation_failed", "query must not be empty", { field: "query" });
  }
  if (query.length > maxChars) throw tooLong(maxChars);
  return query;
}

function tooLong(maxChars: number): ApiError {
  return new ApiError("validation_failed", `query is longer than ${maxChars} characters`, {
    field: "query",
    max_chars: maxChars,
  });
}
