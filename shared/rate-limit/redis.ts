import { createHash } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis as UpstashRedis } from "@upstash/redis";
import type { Redis } from "../redis.ts";
import type { RateLimitDecision, RateLimiter, RatePolicy } from "./port.ts";

/** Upstash's scripts open with a shebang whose flag only Upstash accepts; stock Redis refuses the script. */
const UPSTASH_SHEBANG = /^#!lua[^\n]*\n/;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** Shaped like the reply Redis gives for an unknown sha, so upstash falls back to EVAL. */
class NoScriptError extends Error {
  constructor() {
    super("NOSCRIPT No matching script (not yet loaded through this adapter)");
  }
}

/**
 * The two commands upstash's single-region limiters call (`evalsha`, then `eval` on NOSCRIPT), over
 * ioredis. Scripts are run without their shebang line, so their sha differs from upstash's; the map
 * from upstash's sha to ours makes the steady state one EVALSHA per check. After a Redis restart
 * the EVALSHA answers NOSCRIPT, upstash sends EVAL again and the script is reloaded.
 */
export function upstashRedisAdapter(redis: Redis): Pick<UpstashRedis, "eval" | "evalsha"> {
  const rewrittenSha = new Map<string, string>();
  return {
    async eval<TArgs extends unknown[], TData = unknown>(script: string, keys: string[], args: TArgs) {
      const rewritten = script.replace(UPSTASH_SHEBANG, "");
      // upstash names each script by the sha1 of its text, which is what `evalsha` will be given.
      rewrittenSha.set(sha1(script), sha1(rewritten));
      return (await redis.eval(rewritten, keys.length, ...keys, ...args.map(String))) as TData;
    },
    async evalsha<TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs) {
      const ours = rewrittenSha.get(sha);
      if (!ours) throw new NoScriptError();
      return (await redis.evalsha(ours, keys.length, ...keys, ...args.map(String))) as TData;
    },
  };
}

/**
 * Fixed-window counters in Redis through `@upstash/ratelimit` (the same windows as the in-memory
 * limiter), shared by every process. Errors are not swallowed: upstash's own timeout (which would
 * answer "allowed") and its in-process block cache are off, the ioredis client fails fast, and the
 * caller fails open on the error.
 */
export function createRedisRateLimiter(redis: Redis, keyPrefix: string): RateLimiter {
  // Typed as the full @upstash/redis client, of which upstash's limiters only call eval/evalsha.
  const client = upstashRedisAdapter(redis) as unknown as UpstashRedis;
  const limiters = new Map<string, Ratelimit>();
  const limiterFor = (policy: RatePolicy) => {
    const id = `${policy.limit}/${policy.windowSeconds}s`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: client,
        limiter: Ratelimit.fixedWindow(policy.limit, `${policy.windowSeconds} s`),
        prefix: `${keyPrefix}ratelimit:${id}`,
        timeout: 0,
        ephemeralCache: false,
        analytics: false,
        enableTelemetry: false,
      });
      limiters.set(id, limiter);
    }
    return limiter;
  };
  return {
    async check(key: string, policy: RatePolicy): Promise<RateLimitDecision> {
      const result = await limiterFor(policy).limit(key);
      return {
        allowed: result.success,
        limit: result.limit,
        remaining: result.remaining,
        resetAt: result.reset,
      };
    },
  };
}
