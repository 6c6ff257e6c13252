import type { Redis } from "../redis.ts";
import { createMemoryRateLimiter } from "./memory.ts";
import type { RateLimiter } from "./port.ts";
import { createRedisRateLimiter } from "./redis.ts";

/** Redis when configured (shared by every process), otherwise in-memory. */
export function createRateLimiter(redis: Redis | null, keyPrefix: string): RateLimiter {
  return redis ? createRedisRateLimiter(redis, keyPrefix) : createMemoryRateLimiter();
}
