import type { Metrics } from "../../metrics.ts";
import type { Redis } from "../../redis.ts";
import { createMemoryStreamLimiter } from "./memory.ts";
import type { StreamLimiter } from "./port.ts";
import { createRedisStreamLimiter } from "./redis.ts";

export type { StreamLimiter } from "./port.ts";

/**
 * Redis when configured (one count across every chats process), otherwise in-memory. While Redis is
 * unreachable each process limits on its own (counted in `rate_limit_fail_open_total`).
 */
export function createStreamLimiter(redis: Redis | null, keyPrefix: string, metrics: Metrics): StreamLimiter {
  const memory = createMemoryStreamLimiter();
  if (!redis) return memory;
  return createRedisStreamLimiter(redis, keyPrefix, {
    fallback: memory,
    onUnavailable: () => metrics.rateLimitFailOpen.inc(),
  });
}
