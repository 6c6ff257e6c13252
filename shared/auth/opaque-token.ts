import { createHash, randomBytes } from "node:crypto";

/** Prefixes make leaked tokens recognisable to secret scanners and to people. */
export const PERSONAL_TOKEN_PREFIX = "qpat_";
export const REFRESH_TOKEN_PREFIX = "qrt_";

export function newOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** Opaque tokens are high-entropy, so a plain SHA-256 is enough to store them (no salt or stretching). */
export function hashOpaqueToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
