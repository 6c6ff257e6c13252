import { createHash } from "node:crypto";
import type { Context } from "hono";
import { hasBody } from "../http/body-rules.ts";
import { requestHeader, requestMediaType } from "../http/node-bindings.ts";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * What the Idempotency-Key mismatch check compares. A JSON body, which the body rules have already read
 * (under the body limit), is hashed whole, and so is a missing one. Any other body is streamed by its
 * route (uploads can be huge) and never buffered here: its fingerprint is the media type (without a
 * multipart boundary, which changes on every retry) plus the Content-Length. That catches a different
 * file of another size, not one of the same size.
 */
export async function requestFingerprint(c: Context): Promise<string> {
  const type = requestMediaType(c);
  const buffered = c.req.bodyCache.arrayBuffer;
  if (buffered === undefined && hasBody(c)) {
    return `${type};length=${requestHeader(c, "content-length") ?? "unknown"}`;
  }
  const body = buffered === undefined ? new Uint8Array() : new Uint8Array(await buffered);
  return `${type};sha256=${sha256(body)}`;
}

/** The record key: principal, method, path and client key, hashed to a fixed length. */
export function scopedIdempotencyKey(parts: { userId: string; method: string; path: string; key: string }) {
  return sha256(JSON.stringify([parts.userId, parts.method, parts.path, parts.key]));
}
