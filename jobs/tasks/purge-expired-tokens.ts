import { z } from "zod";
import type { Deps } from "../../shared/deps.ts";
import { defineTask } from "../define-task.ts";

/** Refresh tokens are kept one day past expiry (for reuse detection on late replays), then removed. */
export function purgeExpiredTokens(deps: Deps) {
  return defineTask(deps, z.object({}).strict(), async () => {
    const cutoff = new Date(Date.now() - 24 * 3600 * 1000);
    const result = await deps.db
      .deleteFrom("refresh_tokens")
      .where("expires_at", "<", cutoff)
      .executeTakeFirst();
    deps.log.info({ purged: Number(result.numDeletedRows) }, "expired refresh tokens purged");
  });
}
