import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, startTestApp, type TestApp } from "../helpers/app.ts";

describe("app factory", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("answers liveness and readiness, echoing a given request id", async () => {
    const live = await t.call("/healthz", { headers: { "x-request-id": "abc-123" } });
    expect(live.status).toBe(200);
    expect(live.headers.get("x-request-id")).toBe("abc-123");
    const ready = await t.call("/readyz");
    expect(await ready.json()).toEqual({ status: "ok", checks: { postgres: "ok", blob_store: "ok" } });
  });

  it("generates a request id when none (or a malformed one) is given", async () => {
    const res = await t.call("/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers an unknown route with the not_found envelope", async () => {
    const res = await t.call("/api/nope", { headers: { "x-request-id": "rid-1" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /api/nope", details: {} },
      request_id: "rid-1",
    });
  });

  it("refuses a body of a type no route takes with 415", async () => {
    const res = await t.call("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(415);
    expect(await errorCode(res)).toBe("unsupported_media_type");
  });

  it("refuses a JSON body over the limit with 413", async () => {
    const res = await t.call("/api/auth/login", {
      method: "POST",
      json: { login: "x".repeat(2 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("payload_too_large");
  });

  it("exposes metrics labelled by route template, never by raw path", async () => {
    await t.call("/api/does-not-exist/12345");
    const text = await (await t.call("/metrics")).text();
    expect(text).toContain('route="/healthz"');
    expect(text).toContain('route="unmatched"');
    expect(text).not.toContain("12345");
  });
});
