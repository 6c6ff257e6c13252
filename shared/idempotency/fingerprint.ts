import { createHash } from "node:crypto";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * What the Idempotency-Key mismatch check compares. JSON bodies (capped by the body limit) are hashed
 * whole; the request keeps its body because only a clone is read. Multipart bodies are uploads that
 * can be huge and are streamed by their routes, so they are never buffered here: their fingerprint
 * is the media type (without the boundary, which changes on every retry) plus the Content-Length.
 * That catches a different file of another size, not one of the same size.
 */
export async function requestFingerprint(request: Request): Promise<string> {
  const type = (request.headers.get("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type === "multipart/form-data") {
    return `${type};length=${request.headers.get("content-length") ?? "unknown"}`;
  }
  const body = new Uint8Array(await request.clone().arrayBuffer());
  return `${type};sha256=${sha256(body)}`;
}

/** The record key: principal, method, path and client key, hashed to a fixed length. */
export function scopedIdempotencyKey(parts: { userId: string; method: string; path: string; key: string }) {
  return sha256(JSON.stringify([parts.userId, parts.method, parts.path, parts.key]));
}
