import type { VerifiedAccessToken } from "./jwt.ts";

const MAX_ENTRIES = 10_000;
/** A verified signature is reused this long at most (and never past the token's own expiry). */
const MAX_AGE_MS = 5 * 60_000;

/**
 * Remembers tokens whose signature already verified, so a client's repeated requests skip the
 * signature check (the user row — active, token version — is still read on every request).
 * Only successes are cached; the oldest entries go first when full.
 */
export function cacheVerifiedTokens(
  verify: (token: string) => Promise<VerifiedAccessToken | null>,
): (token: string) => Promise<VerifiedAccessToken | null> {
  const entries = new Map<string, { claims: VerifiedAccessToken; until: number }>();
  return async (token) => {
    const now = Date.now();
    const hit = entries.get(token);
    if (hit && hit.until > now) return hit.claims;
    if (hit) entries.delete(token);
    const claims = await verify(token);
    if (claims) {
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
      entries.set(token, { claims, until: Math.min(claims.expiresAt, now + MAX_AGE_MS) });
    }
    return claims;
  };
}
