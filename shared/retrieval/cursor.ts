import { createHash, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { loadBlobSigningSecret } from "../blob/signing-secret.ts";
import type { Config } from "../config/index.ts";
import { ApiError } from "../errors.ts";

/**
 * Search cursors. A page of a ranked list is an offset into a ranking that is stable for the same query,
 * filters and data (ties broken by chunk id), so the cursor only has to carry the offset — bound to the
 * search it came from. It is `base64url(JSON {v, o, f}) . base64url(HMAC-SHA256)`: `o` the offset, `f` a
 * fingerprint of the tenant, query and every parameter that shapes the ranking. The MAC makes any edit a
 * 400; a cursor replayed with another query, filter or tenant fails the fingerprint check, also a 400.
 *
 * The key is derived (HKDF) from a secret every process of the deployment shares: BLOB_SIGNING_SECRET,
 * else JWT_KEYS, else the signing secret generated once under DATA_DIR (single-host embedded mode).
 */
const VERSION = 1;
const FINGERPRINT_BYTES = 12;

const keys = new WeakMap<object, Buffer>();

type CursorConfig = Pick<Config, "BLOB_SIGNING_SECRET" | "JWT_KEYS" | "DATA_DIR">;

export function cursorKey(config: CursorConfig): Buffer {
  const cached = keys.get(config);
  if (cached) return cached;
  const secret =
    config.BLOB_SIGNING_SECRET ??
    config.JWT_KEYS ??
    loadBlobSigningSecret(undefined, join(config.DATA_DIR, "blob-signing-secret"));
  const key = Buffer.from(hkdfSync("sha256", secret, "quarry", "search-cursor.v1", 32));
  keys.set(config, key);
  return key;
}

/** What a ranking depends on; the cursor is only valid for a search with the same values. */
export function searchFingerprint(parts: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(parts)
      .sort()
      .map((name) => [name, parts[name] ?? null]),
  );
  return createHash("sha256").update(canonical).digest().subarray(0, FINGERPRINT_BYTES).toString("base64url");
}

function mac(key: Buffer, encoded: string): Buffer {
  return createHmac("sha256", key).update(encoded).digest();
}

export function encodeSearchCursor(key: Buffer, offset: number, fingerprint: string): string {
  const encoded = Buffer.from(JSON.stringify({ v: VERSION, o: offset, f: fingerprint })).toString(
    "base64url",
  );
  return `${encoded}.${mac(key, encoded).toString("base64url")}`;
}

const invalid = () => new ApiError("bad_request", "invalid cursor", { field: "cursor" });

/** The offset a cursor names: 400 unless we issued it, for this very search. */
export function decodeSearchCursor(key: Buffer, cursor: string, fingerprint: string): number {
  const parts = cursor.split(".");
  if (parts.length !== 2) throw invalid();
  const [encoded, signature] = parts as [string, string];
  const given = Buffer.from(signature, "base64url");
  const expected = mac(key, encoded);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const { v, o, f } = (payload ?? {}) as { v?: unknown; o?: unknown; f?: unknown };
  if (v !== VERSION || typeof o !== "number" || !Number.isInteger(o) || o < 0) throw invalid();
  if (f !== fingerprint) {
    throw new ApiError(
      "bad_request",
      "the cursor belongs to another search (query, filters or mode differ)",
      {
        field: "cursor",
      },
    );
  }
  return o;
}
