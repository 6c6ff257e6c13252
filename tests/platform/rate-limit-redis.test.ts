import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../shared/logger.ts";
import { createRedisRateLimiter } from "../../shared/rate-limit/redis.ts";
import { createRedis, type Redis } from "../../shared/redis.ts";
import {
  redisReady,
  redisServerAvailable,
  startThrowawayRedis,
  type ThrowawayRedis,
} from "../helpers/redis-server.ts";

const available = redisServerAvailable("Redis rate limiter adapter");
const prefix = "quarry-test:rl-adapter:";
const policy = { limit: 3, windowSeconds: 60 };

async function elapsed<T>(work: () => Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work()]);
  return { ms: performance.now() - started, outcome: outcome as PromiseSettledResult<T> };
}

describe.skipIf(!available)("Redis rate limiter adapter (stock redis-server)", () => {
  let server: ThrowawayRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startThrowawayRedis();
    redis = createRedis(server.url, createLogger("silent"));
    await redisReady(redis);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.kill();
  });

  it("runs upstash's scripts on stock Redis: one EVAL, then one EVALSHA per check", async () => {
    const evalCalls = vi.spyOn(redis, "eval");
    const evalshaCalls = vi.spyOn(redis, "evalsha");
    const limiter = createRedisRateLimiter(redis, prefix);
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.check("steady", policy));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(evalCalls).toHaveBeenCalledTimes(1);
    expect(evalshaCalls).toHaveBeenCalledTimes(4);
    expect(await evalshaCalls.mock.results[0]?.value).toEqual([2, 3]);
    evalCalls.mockRestore();
    evalshaCalls.mockRestore();
  });

  it("keeps its counters under the configured key prefix", async () => {
    await createRedisRateLimiter(redis, prefix).check("prefixed", policy);
    const keys = await redis.keys("*prefixed*");
    expect(keys).toHaveLength(1);
    expect(keys[0]?.startsWith(`${prefix}ratelimit:3/60s:prefixed:`)).toBe(true);
  });

  it("reloads its script when Redis has forgotten it (NOSCRIPT), keeping the count", async () => {
    const limiter = createRedisRateLimiter(redis, prefix);
    expect((await limiter.check("flushed", policy)).remaining).toBe(2);
    await redis.script("FLUSH");
    expect((await limiter.check("flushed", policy)).remaining).toBe(1);
  });

  it("throws within the command timeout when Redis stops answering", async () => {
    const limiter = createRedisRateLimiter(redis, prefix);
    await limiter.check("frozen", policy);
    server.freeze();
    try {
      const { ms, outcome } = await elapsed(() => limiter.check("frozen", policy));
      expect(outcome.status).toBe("rejected");
      expect(ms).toBeLessThan(1000);
    } finally {
      server.thaw();
    }
  });

  it("throws at once when Redis is gone", async () => {
    const limiter = createRedisRateLimiter(redis, prefix);
    await server.kill();
    await vi.waitFor(() => expect(redis.status).not.toBe("ready"));
    const { ms, outcome } = await elapsed(() => limiter.check("gone", policy));
    expect(outcome.status).toBe("rejected");
    expect(ms).toBeLessThan(100);
  });
});
