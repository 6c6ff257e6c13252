import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { requireRole } from "../../shared/auth/authenticate.ts";
import { createRouter } from "../../shared/http/router.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  redisReady,
  redisServerAvailable,
  startThrowawayRedis,
  type ThrowawayRedis,
} from "../helpers/redis-server.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

const available = redisServerAvailable("Redis outage");

function routes() {
  const router = createRouter();
  router.get("/test/ping", requireRole("reader"), (c) => c.json({ pong: true }));
  router.post("/test/orders", requireRole("reader"), async (c) =>
    c.json({ item: (await c.req.json<{ item: string }>()).item, id: randomBytes(4).toString("hex") }, 201),
  );
  return router;
}

async function counter(metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, { value }) => sum + value, 0);
}

describe.skipIf(!available)("Redis stopped mid-test: requests are still served", () => {
  let redis: ThrowawayRedis;
  let t: TestApp;
  let limited: TestUser;
  let user: TestUser;
  beforeAll(async () => {
    redis = await startThrowawayRedis();
    t = await startTestApp({
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: "outage:", RATE_LIMIT_DEFAULT: "2/60s" },
      routeGroups: () => [routes()],
    });
    await redisReady(t.deps.redis);
    const team = await createTeam(t.deps);
    limited = team.reader;
    user = await createUser(t.deps, team.tenant.id, "reader");
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  const order = (key: string, as = user) =>
    t.call("/test/orders", {
      method: "POST",
      token: as.token,
      json: { item: "apple" },
      headers: { "idempotency-key": key },
    });

  it("limits and replays through the throwaway Redis while it runs", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.call("/test/ping", { token: limited.token })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const first = await order("before-outage");
    const replay = await order("before-outage");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(await first.json());
    expect(await counter(t.deps.metrics.rateLimitFailOpen)).toBe(0);
  });

  it("keeps serving, quickly, with limits open and idempotency skipped once Redis is killed", async () => {
    await redis.kill();
    const failOpenBefore = await counter(t.deps.metrics.rateLimitFailOpen);
    const slowest = { ms: 0 };
    const timed = async (call: () => Promise<Response>) => {
      const started = performance.now();
      const res = await call();
      slowest.ms = Math.max(slowest.ms, performance.now() - started);
      return res;
    };
    for (let i = 0; i < 10; i++) {
      // `limited` was refused before the outage: failing open lets it through.
      const ping = await timed(() => t.call("/test/ping", { token: limited.token }));
      expect(ping.status).toBe(200);
      expect(ping.headers.get("ratelimit")).toBeNull();
      const created = await timed(() => order(`during-outage-${i}`));
      expect(created.status).toBe(201);
      expect(created.headers.get("idempotency-status")).toBe("skipped");
      // A retry is not protected either: it runs again rather than failing.
      const retried = await timed(() => order(`during-outage-${i}`));
      expect(retried.status).toBe(201);
      expect(retried.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(slowest.ms).toBeLessThan(1000);
    expect(await counter(t.deps.metrics.rateLimitFailOpen)).toBeGreaterThanOrEqual(failOpenBefore + 30);
    expect(await counter(t.deps.metrics.idempotencySkipped)).toBeGreaterThanOrEqual(20);
    const exposed = await (await t.call("/metrics")).text();
    expect(exposed).toMatch(/^rate_limit_fail_open_total\{[^}]*\} [1-9]\d*$/m);
    expect(exposed).toMatch(/^idempotency_skipped_total\{[^}]*\} [1-9]\d*$/m);
  });

  it("limits and protects again once Redis is back (scripts reloaded into the empty server)", async () => {
    await redis.restart();
    await redisReady(t.deps.redis, 10_000);
    const ping = await t.call("/test/ping", { token: user.token });
    expect(ping.status).toBe(200);
    expect(ping.headers.get("ratelimit")).toMatch(/^"default";r=1;t=\d+$/);
    expect((await order("after-outage")).status).toBe(201);
    await vi.waitFor(async () =>
      expect((await order("after-outage")).headers.get("idempotent-replayed")).toBe("true"),
    );
  });
});
