import { ApiError } from "../errors.ts";
import { unstorableReason } from "../text/storable-text.ts";

/** The JSON escapes that make text Postgres cannot store: U+0000, and halves of surrogate pairs. */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/** The first string or key of a parsed JSON value Postgres could not store, with its path ("messages.0.content"). */
function firstUnstorable(value: unknown, path: string[]): { path: string; message: string } | null {
  if (typeof value === "string") {
    const message = unstorableReason(value);
    return message === null ? null : { path: path.join("."), message };
  }
  if (typeof value !== "object" || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = firstUnstorable(key, [...path, key]) ?? firstUnstorable(item, [...path, key]);
    if (found !== null) return found;
  }
  return null;
}

/**
 * 422 naming the field for a JSON body whose text Postgres could not store (NUL, half a surrogate pair),
 * before any route stores part of it or hands it to a job that would fail on it later. Only a body
 * holding such an escape is parsed here; a malformed one is left to the route's own parse (400).
 */
export function refuseUnstorableText(jsonText: string): void {
  if (!SUSPECT_ESCAPE.test(jsonText)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch {
    return;
  }
  const issue = firstUnstorable(parsed, []);
  if (issue !== null)
    throw new ApiError("validation_failed", "request validation failed", { issues: [issue] });
}
