import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, startTestApp, type TestApp } from "../helpers/app.ts";

/** POSTs `chunks` with chunked transfer encoding (no Content-Length), stopping once the answer comes. */
function postChunked(
  url: string,
  chunks: string[],
): Promise<{ status: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on("error", reject);
    const writeNext = (i: number) => {
      if (i === chunks.length) return req.end();
      // The server may answer and close before everything is sent: stop writing then.
      if (!req.destroyed) req.write(chunks[i], () => writeNext(i + 1));
    };
    writeNext(0);
  });
}

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

  it("refuses a chunked JSON body (no Content-Length) once it passes the limit, closing the connection", async () => {
    const limit = t.deps.config.BODY_LIMIT_BYTES;
    const chunk = "x".repeat(64 * 1024);
    const chunks = [
      '{"login":"',
      ...Array.from({ length: Math.ceil(limit / chunk.length) + 2 }, () => chunk),
      '"}',
    ];
    const res = await postChunked(`${t.url}/api/auth/login`, chunks);
    expect(res.status).toBe(413);
    expect(res.connection).toBe("close");
    expect(JSON.parse(res.body).error.code).toBe("payload_too_large");
    expect((await t.call("/healthz")).status).toBe(200);
  });

  it("reads a chunked JSON body under the limit like any other", async () => {
    const res = await postChunked(`${t.url}/api/auth/login`, [
      '{"login":"nobody",',
      '"password":"wrong-password"}',
    ]);
    expect(res.status).toBe(401);
  });

  it("answers malformed JSON with the 400 envelope", async () => {
    const notUtf8 = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    for (const body of ["{", '{"login": "a",}', notUtf8]) {
      const res = await t.call("/api/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status, String(body)).toBe(400);
      expect(await errorCode(res)).toBe("bad_request");
    }
  });

  it("shrugs off a client that leaves in the middle of its JSON body: a 400, no 5xx, still serving", async () => {
    const loginRequestsWith400 = async () => {
      const text = await (await t.call("/metrics")).text();
      const series = text
        .split("\n")
        .find((line) => /^http_requests_total\{route="\/api\/auth\/login",.*status="400"/.test(line));
      return series ? Number(series.split(" ").at(-1)) : 0;
    };
    const before = await loginRequestsWith400();
    const { port } = new URL(t.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(
          'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"login":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on("error", reject);
    });
    await expect.poll(loginRequestsWith400).toBe(before + 1);
    expect(await (await t.call("/metrics")).text()).not.toMatch(/http_requests_total\{[^}]*status="5/);
    expect((await t.call("/healthz")).status).toBe(200);
  });

  it("exposes metrics labelled by route template, never by raw path", async () => {
    await t.call("/api/does-not-exist/12345");
    const text = await (await t.call("/metrics")).text();
    expect(text).toContain('route="/healthz"');
    expect(text).toContain('route="unmatched"');
    expect(text).not.toContain("12345");
  });
});
