import type { RatePolicy } from "../config/index.ts";

export type { RatePolicy };

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the current window ends, epoch milliseconds. */
  resetAt: number;
}

/** Counts one request against `key` under `policy`. Throws when its store is unreachable (callers fail open). */
export interface RateLimiter {
  check(key: string, policy: RatePolicy): Promise<RateLimitDecision>;
}
