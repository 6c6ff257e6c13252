import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, redisUrl, servicesRequired, startTestApp, type TestApp } from "../helpers/app.ts";

interface VersionBody {
  name: string;
  version: string;
  commit: string;
  node: string;
  adapters: Record<string, string>;
}

describe("GET /api/version", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { BUILD_VERSION: "9.8.7-test", BUILD_COMMIT: "abc1234" } });
  });
  afterAll(() => t.close());

  it("is public and reports the build and the adapters in use", async () => {
    const res = await t.call("/api/version");
    expect(res.status).toBe(200);
    const body = await readJson<VersionBody>(res);
    expect(body).toMatchObject({
      name: "quarry",
      version: "9.8.7-test",
      commit: "abc1234",
      node: process.version,
    });
    // Other ports add their own entries; these are the ones chosen here.
    expect(body.adapters).toMatchObject({
      database: "postgres",
      rate_limits: "memory",
      idempotency: "memory",
      chat_stream_limit: "memory",
    });
  });

  it.skipIf(!redisUrl && !servicesRequired)(
    "says redis serves limits, idempotency and the chat stream limit when REDIS_URL is set",
    async () => {
      if (!redisUrl) throw new Error("REQUIRE_SERVICES=1 but REDIS_URL is not set");
      const withRedis = await startTestApp({ env: { REDIS_URL: redisUrl } });
      try {
        const body = await readJson<VersionBody>(await withRedis.call("/api/version"));
        expect(body.adapters).toMatchObject({
          rate_limits: "redis",
          idempotency: "redis",
          chat_stream_limit: "redis",
        });
      } finally {
        await withRedis.close();
      }
    },
  );
});
