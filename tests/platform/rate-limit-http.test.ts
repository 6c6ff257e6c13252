import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRole } from "../../shared/auth/authenticate.ts";
import { createRouter } from "../../shared/http/router.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { deleteKeysWithPrefix, redisReady, sharedRedisUrl } from "../helpers/redis-server.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

const redisUrl = sharedRedisUrl("rate limits over HTTP");
const prefix = `quarry-test:rl-http:${randomBytes(4).toString("hex")}:`;

function pingRoutes() {
  const router = createRouter();
  router.get("/test/ping", requireRole("reader"), (c) => c.json({ pong: true }));
  return router;
}

const backends: { name: string; env: Record<string, string> }[] = [
  { name: "memory", env: {} },
  ...(redisUrl ? [{ name: "redis", env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } }] : []),
];

describe.each(backends)("rate limits over HTTP: $name limiter", ({ env }) => {
  let t: TestApp;
  let reader: TestUser;
  let otherReader: TestUser;
  beforeAll(async () => {
    t = await startTestApp({
      env: { ...env, RATE_LIMIT_DEFAULT: "3/60s" },
      routeGroups: () => [pingRoutes()],
    });
    if (t.deps.redis) await redisReady(t.deps.redis);
    const team = await createTeam(t.deps);
    reader = team.reader;
    otherReader = await createUser(t.deps, team.tenant.id, "reader");
  });
  afterAll(async () => {
    await t.close();
    if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefix);
  });

  it("answers within the limit with RateLimit-Policy and RateLimit headers counting down", async () => {
    const user = await createUser(t.deps, reader.tenantId, "reader");
    for (const remaining of [2, 1, 0]) {
      const res = await t.call("/test/ping", { token: user.token });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-policy")).toBe('"default";q=3;w=60');
      expect(res.headers.get("ratelimit")).toMatch(new RegExp(`^"default";r=${remaining};t=\\d+$`));
    }
  });

  it("refuses past the limit with 429, Retry-After and the rate limit headers, per principal", async () => {
    for (let i = 0; i < 3; i++)
      expect((await t.call("/test/ping", { token: reader.token })).status).toBe(200);
    const refused = await t.call("/test/ping", { token: reader.token });
    expect(refused.status).toBe(429);
    expect(await errorCode(refused.clone())).toBe("rate_limited");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit-policy")).toBe('"default";q=3;w=60');
    expect(refused.headers.get("ratelimit")).toMatch(/^"default";r=0;t=\d+$/);
    expect(await readJson(refused)).toMatchObject({ error: { details: { policy: "default" } } });

    expect((await t.call("/test/ping", { token: otherReader.token })).status).toBe(200);
    // The limit was really enforced by the store, not skipped by a fail-open.
    expect((await t.deps.metrics.rateLimitFailOpen.get()).values[0]?.value ?? 0).toBe(0);
  });
});
