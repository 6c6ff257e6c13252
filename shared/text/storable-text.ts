/**
 * What Postgres cannot store in `text` or `jsonb`: the NUL character (refused), and half of a surrogate
 * pair without its other half (not well-formed Unicode: refused in `jsonb`, turned into U+FFFD in `text`).
 * JSON can carry both, escaped (`"\u0000"`, `"\uD800"`).
 */
const NUL = "\u0000";

export const NUL_REFUSED = "text must not contain the NUL character (U+0000)";

/** Why Postgres could not store `text` as it is, or null when it could. */
export function unstorableReason(text: string): string | null {
  if (text.includes(NUL)) return NUL_REFUSED;
  if (!text.isWellFormed()) return "not valid Unicode text: half a surrogate pair (\\uD800–\\uDFFF) alone";
  return null;
}

/** `text` as Postgres can store it: NUL dropped, a lone surrogate made U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll(NUL, "").toWellFormed();
}

/** Every string and key of a parsed JSON value, made storable. */
export function storableJson(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [storableJson(key) as string, storableJson(item)]),
  );
}
