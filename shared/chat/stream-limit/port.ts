import { ApiError } from "../../errors.ts";

export interface StreamLimiter {
  /** Counts a stream for `principalId`; 429 beyond `max`. Resolves with the release function (idempotent). */
  acquire(principalId: string, max: number): Promise<() => void>;
}

export function tooManyStreams(max: number): ApiError {
  return new ApiError(
    "rate_limited",
    `too many answers streaming at once (at most ${max}); wait for one to finish`,
    { policy: "chat_streams", limit: max },
    { "Retry-After": "1" },
  );
}
