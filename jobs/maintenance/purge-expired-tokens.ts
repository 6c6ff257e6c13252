import type { Deps } from "../../shared/deps.ts";

/** Refresh tokens are kept one day past expiry (for reuse detection on late replays), then removed. */
export async function purgeExpiredTokens(deps: Deps) {
  const cutoff = new Date(Date.now() - 24 * 3600 * 1000);
  const result = await deps.db
    .deleteFrom("refresh_tokens")
    .where("expires_at", "<", cutoff)
    .executeTakeFirst();
  return { purged: Number(result.numDeletedRows) };
}
