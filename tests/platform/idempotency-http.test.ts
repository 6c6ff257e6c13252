import { randomBytes } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRole } from "../../shared/auth/authenticate.ts";
import { createRouter } from "../../shared/http/router.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { deleteKeysWithPrefix, redisReady, sharedRedisUrl } from "../helpers/redis-server.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

const redisUrl = sharedRedisUrl("idempotency over HTTP");
const prefix = `quarry-test:idem-http:${randomBytes(4).toString("hex")}:`;

function latch() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Test-only routes; `runs` counts handler executions per Idempotency-Key. */
function testRoutes() {
  const runs = new Map<string, number>();
  const ran = (key: string | undefined) => {
    const count = (runs.get(key ?? "") ?? 0) + 1;
    runs.set(key ?? "", count);
    return count;
  };
  let slow = { entered: latch(), release: latch() };
  const router = createRouter();
  router.post("/test/orders", requireRole("reader"), async (c) => {
    const body = await c.req.json<{ item: string }>();
    const run = ran(c.req.header("idempotency-key"));
    return c.json({ item: body.item, user: c.get("principal").userId, run }, 201, {
      Location: `/test/orders/${run}`,
      "X-Run": String(run),
    });
  });
  router.delete("/test/orders/:id", requireRole("reader"), (c) => {
    ran(c.req.header("idempotency-key"));
    return c.body(null, 204);
  });
  router.openapi(
    createRoute({
      method: "post",
      path: "/test/validated",
      middleware: [requireRole("reader")] as const,
      request: {
        body: { content: { "application/json": { schema: z.object({ item: z.string() }) } }, required: true },
      },
      responses: {
        200: {
          description: "echo",
          content: { "application/json": { schema: z.object({ item: z.string() }) } },
        },
      },
    }),
    (c) => {
      ran(c.req.header("idempotency-key"));
      return c.json({ item: c.req.valid("json").item }, 200);
    },
  );
  router.post("/test/slow", requireRole("reader"), async (c) => {
    ran(c.req.header("idempotency-key"));
    slow.entered.open();
    await slow.release.opened;
    return c.json({ done: true });
  });
  router.post("/test/fail", requireRole("reader"), (c) => {
    ran(c.req.header("idempotency-key"));
    throw new Error("boom");
  });
  router.post("/test/stream", requireRole("reader"), (c) => {
    const run = ran(c.req.header("idempotency-key"));
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ event: "done", data: JSON.stringify({ run }) });
    });
  });
  router.post("/test/upload", requireRole("reader"), async (c) => {
    const file = (await c.req.formData()).get("file");
    ran(c.req.header("idempotency-key"));
    return c.json({ size: file instanceof File ? file.size : -1 }, 201);
  });
  return {
    router,
    runs: (key: string) => runs.get(key) ?? 0,
    slow: () => slow,
    resetSlow() {
      slow = { entered: latch(), release: latch() };
    },
  };
}

const backends: { name: string; env: Record<string, string> }[] = [
  { name: "memory", env: {} },
  ...(redisUrl ? [{ name: "redis", env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } }] : []),
];

describe.each(backends)("Idempotency-Key over HTTP: $name store", ({ env }) => {
  let t: TestApp;
  let routes: ReturnType<typeof testRoutes>;
  let reader: TestUser;
  let otherReader: TestUser;
  beforeAll(async () => {
    routes = testRoutes();
    t = await startTestApp({ env, routeGroups: () => [routes.router] });
    if (t.deps.redis) await redisReady(t.deps.redis);
    const team = await createTeam(t.deps);
    reader = team.reader;
    otherReader = await createUser(t.deps, team.tenant.id, "reader");
  });
  afterAll(async () => {
    await t.close();
    if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefix);
  });

  const newKey = () => `key-${randomBytes(6).toString("hex")}`;
  const post = (path: string, key: string, json: unknown, user = reader) =>
    t.call(path, { method: "POST", token: user.token, json, headers: { "idempotency-key": key } });

  it("replays the stored status, body and headers for the same key and body, running the handler once", async () => {
    const key = newKey();
    const first = await post("/test/orders", key, { item: "apple" });
    const second = await post("/test/orders", key, { item: "apple" });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("content-type")).toMatch(/^application\/json/);
    // Per-request headers are the replay's own, not the stored ones.
    expect(second.headers.get("x-run")).toBeNull();
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(await second.text()).toBe(await first.text());
    expect(routes.runs(key)).toBe(1);
  });

  it("replays an empty 204 answer", async () => {
    const key = newKey();
    const call = () =>
      t.call("/test/orders/1", {
        method: "DELETE",
        token: reader.token,
        headers: { "idempotency-key": key },
      });
    expect((await call()).status).toBe(204);
    const again = await call();
    expect(again.status).toBe(204);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    // The missing body is part of the fingerprint: the key with a body is another request.
    const withBody = await t.call("/test/orders/1", {
      method: "DELETE",
      token: reader.token,
      json: { reason: "duplicate" },
      headers: { "idempotency-key": key },
    });
    expect(withBody.status).toBe(422);
    expect(routes.runs(key)).toBe(1);
  });

  it("answers 422 idempotency_key_mismatch when the key comes back with another body", async () => {
    const key = newKey();
    expect((await post("/test/orders", key, { item: "apple" })).status).toBe(201);
    const res = await post("/test/orders", key, { item: "pear" });
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe("idempotency_key_mismatch");
    expect(routes.runs(key)).toBe(1);
  });

  it("answers 409 with Retry-After while the first request is still running, then replays", async () => {
    const key = newKey();
    routes.resetSlow();
    const first = post("/test/slow", key, { n: 1 });
    await routes.slow().entered.opened;
    const concurrent = await post("/test/slow", key, { n: 1 }).finally(() => routes.slow().release.open());
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get("retry-after")).toBe("1");
    expect(await readJson(concurrent)).toMatchObject({
      error: { code: "conflict", message: "a request with this Idempotency-Key is still being processed" },
    });
    expect((await first).status).toBe(200);
    const later = await post("/test/slow", key, { n: 1 });
    expect(later.headers.get("idempotent-replayed")).toBe("true");
    expect(routes.runs(key)).toBe(1);
  });

  it("scopes keys by principal: two users with the same key and body both run", async () => {
    const key = newKey();
    const mine = await post("/test/orders", key, { item: "apple" }, reader);
    const theirs = await post("/test/orders", key, { item: "apple" }, otherReader);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect((await readJson(mine)).user).toBe(reader.id);
    expect((await readJson(theirs)).user).toBe(otherReader.id);
    expect(routes.runs(key)).toBe(2);
  });

  it("scopes keys by path: the same key on another route runs that route", async () => {
    const key = newKey();
    await post("/test/orders", key, { item: "apple" });
    const other = await post("/test/validated", key, { item: "apple" });
    expect(other.status).toBe(200);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(routes.runs(key)).toBe(2);
  });

  it("leaves the body readable by a validated (zod-openapi) route, and replays it", async () => {
    const key = newKey();
    const first = await post("/test/validated", key, { item: "kiwi" });
    expect(await readJson(first)).toEqual({ item: "kiwi" });
    const replay = await post("/test/validated", key, { item: "kiwi" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await readJson(replay)).toEqual({ item: "kiwi" });
    expect(routes.runs(key)).toBe(1);
  });

  it("does not store streamed responses", async () => {
    const key = newKey();
    for (let i = 1; i <= 2; i++) {
      const res = await post("/test/stream", key, {});
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      expect(await res.text()).toContain(`{"run":${i}}`);
    }
    expect(routes.runs(key)).toBe(2);
  });

  it("does not store 5xx responses, so a retry runs again", async () => {
    const key = newKey();
    expect((await post("/test/fail", key, {})).status).toBe(500);
    const retry = await post("/test/fail", key, {});
    expect(retry.status).toBe(500);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(routes.runs(key)).toBe(2);
  });

  it("fingerprints multipart bodies by type and length: same size replays, another size is a mismatch", async () => {
    const key = newKey();
    const upload = (content: string) => {
      const form = new FormData();
      form.set("file", new Blob([content], { type: "text/plain" }), "notes.txt");
      return t.call("/test/upload", {
        method: "POST",
        token: reader.token,
        body: form,
        headers: { "idempotency-key": key },
      });
    };
    const first = await upload("hello world");
    expect(first.status).toBe(201);
    expect(await readJson(first)).toEqual({ size: 11 });
    const replay = await upload("hello world");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const bigger = await upload("hello world, again");
    expect(bigger.status).toBe(422);
    expect(await errorCode(bigger)).toBe("idempotency_key_mismatch");
    expect(routes.runs(key)).toBe(1);
  });

  it("refuses a malformed Idempotency-Key with 400", async () => {
    for (const key of ["x".repeat(256), "caf\u00e9"]) {
      const res = await post("/test/orders", key, { item: "apple" });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("bad_request");
      expect(routes.runs(key)).toBe(0);
    }
  });

  it("accepts the key as a structured-field string and treats it as the bare key", async () => {
    const key = newKey();
    await post("/test/orders", key, { item: "apple" });
    const quoted = await post("/test/orders", `"${key}"`, { item: "apple" });
    expect(quoted.headers.get("idempotent-replayed")).toBe("true");
  });

  it("leaves requests without a valid token to the route, which answers 401", async () => {
    const key = newKey();
    const res = await t.call("/test/orders", {
      method: "POST",
      json: { item: "apple" },
      headers: { "idempotency-key": key, authorization: "Bearer not-a-token" },
    });
    expect(res.status).toBe(401);
    expect(routes.runs(key)).toBe(0);
  });
});
