import { ApiError } from "../errors.ts";

/** A `\uD800`–`\uDFFF` escape: how JSON spells half of a surrogate pair. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** Half a surrogate pair without its other half: not a character, so not text Postgres can store. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where a parsed JSON value holds a lone surrogate, in a string or a key ("messages.0.content"). */
function loneSurrogatePath(value: unknown, path: string[]): string | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path.join(".") : null;
  if (typeof value !== "object" || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = LONE_SURROGATE.test(key)
      ? [...path, key].join(".")
      : loneSurrogatePath(item, [...path, key]);
    if (found !== null) return found;
  }
  return null;
}

/**
 * 422 for a JSON body that escapes half a surrogate pair (`"\uD800"`): JSON allows the escape, but the
 * string it makes is not Unicode text, and Postgres refuses it in `jsonb` (a 500) or stores U+FFFD in
 * its place in `text` (silently changed). Only bodies holding such an escape are parsed here; a
 * malformed body is left to the route's own parse (400).
 */
export function refuseLoneSurrogates(jsonText: string): void {
  if (!SURROGATE_ESCAPE.test(jsonText)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch {
    return;
  }
  const path = loneSurrogatePath(parsed, []);
  if (path === null) return;
  throw new ApiError("validation_failed", "request validation failed", {
    issues: [{ path, message: "not valid Unicode text: half a surrogate pair (\\uD800–\\uDFFF) alone" }],
  });
}
