import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { isBlobKey } from "./keys.ts";

/**
 * Tokens for the blob URLs Quarry serves itself when blobs live on the filesystem:
 *   PUT ${PUBLIC_BASE_URL}/api/rag/blobs/<token>   (upload; body limited to maxBytes, Content-Type checked)
 *   GET ${PUBLIC_BASE_URL}/api/rag/blobs/<token>   (download; Content-Disposition from downloadName)
 * A token is `<base64url(JSON payload)>.<base64url(HMAC-SHA256)>`; `exp` is in Unix seconds.
 */
const payloadSchema = z.object({
  op: z.enum(["put", "get"]),
  key: z.string().refine(isBlobKey),
  exp: z.number().int(),
  maxBytes: z.number().int().positive().optional(),
  contentType: z.string().max(255).optional(),
  downloadName: z.string().max(1024).optional(),
});

export type BlobTokenPayload = z.infer<typeof payloadSchema>;

/** Path under PUBLIC_BASE_URL where the rag function serves signed blob URLs. */
export const SIGNED_BLOB_PATH = "/api/rag/blobs/";

const DOMAIN = "quarry-blob-url.v1.";

function mac(encodedPayload: string, secret: string): Buffer {
  return createHmac("sha256", secret)
    .update(DOMAIN + encodedPayload)
    .digest();
}

export function signBlobToken(payload: BlobTokenPayload, secret: string): string {
  const encoded = Buffer.from(JSON.stringify(payloadSchema.parse(payload))).toString("base64url");
  return `${encoded}.${mac(encoded, secret).toString("base64url")}`;
}

/** The payload when the token is authentic, unexpired and for `op`; otherwise null. */
export function verifyBlobToken(
  token: string,
  secret: string,
  op: BlobTokenPayload["op"],
  nowSeconds = Math.floor(Date.now() / 1000),
): BlobTokenPayload | null {
  const parts = token.split(".");
  if (parts.length !== 2) return null;
  const [encoded, signature] = parts as [string, string];
  const expected = mac(encoded, secret);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success || parsed.data.op !== op || parsed.data.exp <= nowSeconds) return null;
  return parsed.data;
}
