const MAX_NAME_LENGTH = 255;

/**
 * A Content-Disposition value for a user-supplied file name (RFC 6266): an ASCII fallback in
 * `filename` and the exact name, percent-encoded, in `filename*`. Quotes, backslashes, path
 * separators, control characters and lone surrogates never reach the header.
 */
export function contentDisposition(
  name: string,
  disposition: "attachment" | "inline" = "attachment",
): string {
  const cleaned =
    Array.from(name.replace(/[\p{Cc}\p{Cs}"\\/]/gu, "_").trim())
      .slice(0, MAX_NAME_LENGTH)
      .join("") || "download";
  const fallback = cleaned
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\x20-\x7e]/g, "_");
  const encoded = encodeURIComponent(cleaned).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
