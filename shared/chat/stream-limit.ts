import { ApiError } from "../errors.ts";

export interface StreamLimiter {
  /** Counts a stream for `principalId`; 429 beyond `max`. Returns the release function (idempotent). */
  acquire(principalId: string, max: number): () => void;
}

/**
 * Concurrent SSE streams per principal, in this process. Behind several chats processes a user may hold
 * up to `max` streams on each.
 */
export function createStreamLimiter(): StreamLimiter {
  const counts = new Map<string, number>();
  return {
    acquire(principalId, max) {
      const current = counts.get(principalId) ?? 0;
      if (current >= max) {
        throw new ApiError(
          "rate_limited",
          `too many answers streaming at once (at most ${max}); wait for one to finish`,
          { policy: "chat_streams", limit: max },
          { "Retry-After": "1" },
        );
      }
      counts.set(principalId, current + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(principalId) ?? 1) - 1;
        if (left <= 0) counts.delete(principalId);
        else counts.set(principalId, left);
      };
    },
  };
}
