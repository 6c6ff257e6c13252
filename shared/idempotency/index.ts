import type { Redis } from "../redis.ts";
import { createMemoryIdempotencyStore } from "./memory.ts";
import type { IdempotencyStore } from "./port.ts";
import { createRedisIdempotencyStore } from "./redis.ts";

/** Redis when configured (shared by every process), otherwise in-memory. */
export function createIdempotencyStore(redis: Redis | null, keyPrefix: string): IdempotencyStore {
  return redis ? createRedisIdempotencyStore(redis, keyPrefix) : createMemoryIdempotencyStore();
}
