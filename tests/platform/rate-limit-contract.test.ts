import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../../shared/rate-limit/memory.ts";
import type { RateLimiter } from "../../shared/rate-limit/port.ts";
import { createRedisRateLimiter } from "../../shared/rate-limit/redis.ts";
import { memoryAndRedis } from "../helpers/redis-server.ts";

const prefix = `quarry-test:rl-contract:${randomBytes(4).toString("hex")}:`;

const backends = memoryAndRedis<RateLimiter>("rate limiter contract", prefix, {
  memory: () => createMemoryRateLimiter(),
  redis: (client, keyPrefix) => createRedisRateLimiter(client, keyPrefix),
});

const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

describe.each(backends)("rate limiter contract: $name", (backend) => {
  let limiter: RateLimiter;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ port: limiter, close } = await backend.open());
  });
  afterAll(() => close());

  it("allows up to the limit, then refuses, counting down what remains", async () => {
    const key = unique("count");
    const policy = { limit: 3, windowSeconds: 60 };
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.check(key, policy));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions.every((d) => d.limit === 3)).toBe(true);
  });

  it("reports the end of the current window as resetAt", async () => {
    const before = Date.now();
    const decision = await limiter.check(unique("reset"), { limit: 5, windowSeconds: 60 });
    expect(decision.resetAt).toBeGreaterThan(before);
    expect(decision.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(decision.resetAt % 60_000).toBe(0);
  });

  it("counts each key on its own", async () => {
    const policy = { limit: 1, windowSeconds: 60 };
    const [a, b] = [unique("a"), unique("b")];
    expect((await limiter.check(a, policy)).allowed).toBe(true);
    expect((await limiter.check(a, policy)).allowed).toBe(false);
    expect((await limiter.check(b, policy)).allowed).toBe(true);
  });

  it("loses no update under concurrent checks", async () => {
    const key = unique("concurrent");
    const decisions = await Promise.all(
      Array.from({ length: 20 }, () => limiter.check(key, { limit: 5, windowSeconds: 60 })),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.map((d) => d.remaining).sort((a, b) => a - b)).toEqual([
      ...Array(16).fill(0),
      1,
      2,
      3,
      4,
    ]);
  });

  it("starts afresh in the next window", async () => {
    const key = unique("window");
    const policy = { limit: 1, windowSeconds: 1 };
    const first = await limiter.check(key, policy);
    expect(first.allowed).toBe(true);
    expect((await limiter.check(key, policy)).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, first.resetAt - Date.now() + 20));
    expect((await limiter.check(key, policy)).allowed).toBe(true);
  });
});
