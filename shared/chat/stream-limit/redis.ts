import { randomUUID } from "node:crypto";
import type { Redis } from "../../redis.ts";
import { type StreamLimiter, tooManyStreams } from "./port.ts";

/** How long a stream's slot outlives a process that died without releasing it. */
const DEFAULT_LEASE_MS = 60_000;

// Leases are a sorted set per principal: member = stream id, score = expiry (Redis's clock, so the
// processes' clocks need not agree). Expired leases are dropped before counting.
const NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)";
const ACQUIRE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;
// Re-adds a lease that is gone (Redis restarted empty, or an outage outlasted it): the stream is still open.
// A renewal cannot revive a released lease: release stops the renewals first, and one already sent
// reaches Redis before the release's ZREM, on the same connection.
const RENEW = `${NOW_MS}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

export interface RedisStreamLimiterOptions {
  /** Used while Redis cannot be reached, so each process still limits on its own. */
  fallback: StreamLimiter;
  onUnavailable: (error: unknown) => void;
  leaseMs?: number;
}

/**
 * Concurrent streams per principal across every process sharing the Redis. Each open stream holds a
 * lease renewed every third of its length, so a crashed process's streams stop counting once theirs run out.
 */
export function createRedisStreamLimiter(
  redis: Redis,
  keyPrefix: string,
  options: RedisStreamLimiterOptions,
): StreamLimiter {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  return {
    async acquire(principalId, max) {
      const key = `${keyPrefix}chat-streams:${principalId}`;
      const stream = randomUUID();
      let granted: unknown;
      try {
        granted = await redis.eval(ACQUIRE, 1, key, max, leaseMs, stream);
      } catch (error) {
        options.onUnavailable(error);
        return options.fallback.acquire(principalId, max);
      }
      if (granted !== 1) throw tooManyStreams(max);
      const renewal = setInterval(() => {
        redis.eval(RENEW, 1, key, leaseMs, stream).catch(() => {}); // a missed renewal only shortens the lease
      }, leaseMs / 3);
      renewal.unref();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        clearInterval(renewal);
        redis.zrem(key, stream).catch(() => {}); // unreachable: the lease runs out on its own
      };
    },
  };
}
