import type { RateLimitDecision, RateLimiter, RatePolicy } from "./port.ts";

/** Fixed-window counters in this process's memory: the embedded default (single process only). */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async check(key: string, policy: RatePolicy): Promise<RateLimitDecision> {
      const time = now();
      const windowMs = policy.windowSeconds * 1000;
      let window = windows.get(key);
      if (!window || window.resetAt <= time) {
        window = { count: 0, resetAt: Math.floor(time / windowMs) * windowMs + windowMs };
        windows.set(key, window);
        if (windows.size > 100_000) {
          for (const [k, w] of windows) if (w.resetAt <= time) windows.delete(k);
        }
      }
      window.count += 1;
      return {
        allowed: window.count <= policy.limit,
        limit: policy.limit,
        remaining: Math.max(0, policy.limit - window.count),
        resetAt: window.resetAt,
      };
    },
  };
}
