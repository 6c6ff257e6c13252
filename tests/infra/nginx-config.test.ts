import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/index.ts";
import { freePort } from "../../shared/net/free-port.ts";
import { readJson, servicesRequired } from "../helpers/app.ts";
import {
  FUNCTIONS,
  type FunctionName,
  findNginx,
  type LocalNginx,
  NGINX_CONF,
  startNginx,
  withLoopbackUpstreams,
} from "../smoke/nginx.ts";
import { type Echo, startUpstreamStub, type UpstreamStub } from "./upstream-stub.ts";

const nginxBinary = findNginx();
if (!nginxBinary) {
  const message = "nginx is not installed: the nginx config tests cannot run (apt-get install nginx-light)";
  if (servicesRequired) throw new Error(`${message}; REQUIRE_SERVICES=1`);
  console.warn(`\n⚠️  SKIPPED: ${message}\n`);
}
const nginx = nginxBinary ?? "nginx";

const defaults = loadConfig({});
type ErrorBody = { error: { code: string; message: string }; request_id: string };

/** POST with a declared Content-Length and `sent` bytes of body (nginx judges by the header first). */
function postDeclared(
  url: string,
  declared: number,
  sent: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-length": String(declared), "content-type": "multipart/form-data; boundary=x" },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // nginx answers 413 and closes while the body is still being sent: that is the expected outcome.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    const chunk = Buffer.alloc(Math.min(sent, 1 << 20));
    let left = sent;
    const pump = () => {
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(chunk.length, left));
        left -= part.length;
        if (!req.write(part)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe.skipIf(!nginxBinary)("infra/nginx/nginx.conf under a real nginx", () => {
  const stubs = {} as Record<FunctionName, UpstreamStub>;
  let proxy: LocalNginx;

  beforeAll(async () => {
    for (const name of FUNCTIONS) stubs[name] = await startUpstreamStub(name);
    proxy = await startNginx(nginx, {
      upstreams: Object.fromEntries(FUNCTIONS.map((name) => [name, stubs[name].port])) as Record<
        FunctionName,
        number
      >,
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const stub of Object.values(stubs)) await stub.close();
  });

  it("passes nginx -t (upstream hosts, which resolve only on the overlay network, pointed at loopback)", () => {
    const dir = mkdtempSync(join(tmpdir(), "quarry-nginx-t-"));
    try {
      const source = readFileSync(NGINX_CONF, "utf8");
      const ports = Object.fromEntries(FUNCTIONS.map((name) => [name, 8080])) as Record<FunctionName, number>;
      const tested = withLoopbackUpstreams(source, ports);
      const sourceLines = source.split("\n");
      const changed = tested
        .split("\n")
        .flatMap((line, i) => (line === sourceLines[i] ? [] : [sourceLines[i]]));
      expect(changed.map((line) => line?.trim()).sort()).toEqual(
        [...FUNCTIONS].sort().map((name) => `server ${name}:8080;`),
      );
      const conf = join(dir, "nginx.conf");
      writeFileSync(conf, tested);
      // nginx -t opens the access log, /dev/stdout: give it a file (a socket cannot be opened by path).
      const stdout = openSync(join(dir, "stdout"), "w");
      const result = spawnSync(nginx, ["-t", "-p", dir, "-c", conf], {
        encoding: "utf8",
        stdio: ["ignore", stdout, "pipe"],
      });
      closeSync(stdout);
      expect(result.stderr).toContain("test is successful");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("routes every prefix to its function and passes the path on unchanged (/api kept, query kept)", async () => {
    const routes: [string, string, FunctionName][] = [
      ["POST", "/api/auth/login", "auth"],
      ["GET", "/api/auth/.well-known/jwks.json", "auth"],
      ["GET", "/api/chats?limit=5", "chats"],
      ["POST", "/api/chats", "chats"],
      ["GET", "/api/chats/42/messages?cursor=abc", "chats"],
      ["POST", "/v1/chat/completions", "chats"],
      ["GET", "/v1/models", "chats"],
      ["GET", "/api/rag?status=ready", "rag"],
      ["POST", "/api/rag/upload", "rag"],
      ["POST", "/api/rag/search", "rag"],
      ["GET", "/api/rag/42/progress", "rag"],
      ["POST", "/api/analyze", "analyze"],
      ["GET", "/api/analyze/42", "analyze"],
      ["GET", "/api/admin/audit", "ops"],
      ["GET", "/api/admin/jobs", "ops"],
      ["GET", "/api/docs", "ops"],
      ["GET", "/api/docs/openapi.json", "ops"],
      ["GET", "/api/version", "ops"],
    ];
    for (const [method, path, expected] of routes) {
      const res = await fetch(`${proxy.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(200);
      const echo = await readJson<Echo>(res);
      expect({ route: `${method} ${path}`, function: echo.function, url: echo.url }).toEqual({
        route: `${method} ${path}`,
        function: expected,
        url: path,
      });
    }
  });

  it("answers unrouted paths itself with the JSON 404 envelope (health and metrics are not public)", async () => {
    for (const path of ["/api/unknown", "/healthz", "/metrics", "/api/versions"]) {
      const res = await fetch(`${proxy.url}${path}`, { headers: { "x-request-id": "probe-404" } });
      expect(res.status, path).toBe(404);
      expect(await readJson<ErrorBody>(res)).toEqual({
        error: { code: "not_found", message: "no such route", details: {} },
        request_id: "probe-404",
      });
    }
    const health = await fetch(`${proxy.internalUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("ok\n");
  });

  /** Whether the first SSE event reaches the client while the upstream still holds the stream open. */
  async function firstEventArrivesEarly(path: string, stub: UpstreamStub): Promise<boolean> {
    const id = `sse-${randomUUID()}`;
    const res = await fetch(`${proxy.url}${path}`, { method: "POST", headers: { "x-request-id": id } });
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    const early = await Promise.race([
      reader.read().then(({ value }) => new TextDecoder().decode(value).includes("event: meta")),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 1500)),
    ]);
    stub.release(id);
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain("event: done");
    return early;
  }

  it("streams server-sent events on /api/chats and /v1 as they are written, not when the stream ends", async () => {
    expect(await firstEventArrivesEarly("/api/chats/42/messages/stream", stubs.chats)).toBe(true);
    expect(await firstEventArrivesEarly("/v1/chat/completions/stream", stubs.chats)).toBe(true);
    // And they stay unbuffered with a stream-long read timeout (an idle hour cannot be waited out here).
    const source = readFileSync(NGINX_CONF, "utf8");
    for (const prefix of ["/api/chats", "/v1/"]) {
      const block = source.slice(source.indexOf(`location ${prefix} {`));
      const body = block.slice(0, block.indexOf("}"));
      expect(body, prefix).toContain("proxy_buffering off;");
      expect(body, prefix).toContain("proxy_read_timeout 1h;");
    }
  });

  it("propagates the caller's X-Request-ID, or one of its own, to the function, the client and its log", async () => {
    const given = await fetch(`${proxy.url}/api/version`, { headers: { "x-request-id": "smoke.req-1:a_b" } });
    expect(given.headers.get("x-request-id")).toBe("smoke.req-1:a_b");
    expect((await readJson<Echo>(given)).headers["x-request-id"]).toBe("smoke.req-1:a_b");

    // An id the functions would refuse (spaces, too long) is replaced here, so every party logs the same one.
    for (const bad of ["has spaces", "x".repeat(129)]) {
      const res = await fetch(`${proxy.url}/api/version`, { headers: { "x-request-id": bad } });
      const echo = await readJson<Echo>(res);
      const seen = echo.headers["x-request-id"];
      expect(seen).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers.get("x-request-id")).toBe(seen);
      expect(proxy.accessLog().some((line) => line.request_id === seen && line.uri === "/api/version")).toBe(
        true,
      );
    }
  });

  it("sets X-Forwarded-For to the client address, dropping what the client claimed", async () => {
    const res = await fetch(`${proxy.url}/api/auth/login`, {
      method: "POST",
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    const echo = await readJson<Echo>(res);
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
  });

  it("lets uploads up to UPLOAD_LIMIT_BYTES / ANALYZE_MAX_SOURCE_BYTES (plus framing) through, refuses more", async () => {
    const framing = 64 * 1024;
    const atLimit = await fetch(`${proxy.url}/api/rag/upload`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: new Uint8Array(defaults.UPLOAD_LIMIT_BYTES + framing),
    });
    expect(atLimit.status).toBe(200);
    expect((await readJson<Echo>(atLimit)).bytes).toBe(defaults.UPLOAD_LIMIT_BYTES + framing);

    const over = await postDeclared(
      `${proxy.url}/api/rag/upload`,
      defaults.UPLOAD_LIMIT_BYTES + 2 * 1024 * 1024,
      4096,
    );
    expect(over.status).toBe(413);
    expect((JSON.parse(over.body) as ErrorBody).error.code).toBe("payload_too_large");

    const analyzeLimit = defaults.ANALYZE_MAX_SOURCE_BYTES;
    const analyzeAtLimit = await fetch(`${proxy.url}/api/analyze`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: new Uint8Array(analyzeLimit + framing),
    });
    expect(analyzeAtLimit.status).toBe(200);
    const analyzeOver = await postDeclared(`${proxy.url}/api/analyze`, analyzeLimit + 2 * 1024 * 1024, 0);
    expect(analyzeOver.status).toBe(413);
  });

  it("leaves JSON bodies just over BODY_LIMIT_BYTES to the functions (they answer with the envelope)", async () => {
    const res = await fetch(`${proxy.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(defaults.BODY_LIMIT_BYTES + 1),
    });
    expect(res.status).toBe(200);
    expect((await readJson<Echo>(res)).bytes).toBe(defaults.BODY_LIMIT_BYTES + 1);
  });

  it("serves the maintenance answer while maintenance.on exists: the envelope to API clients, the page to browsers", async () => {
    const flag = join(proxy.root, "maintenance.on");
    writeFileSync(flag, "");
    try {
      const api = await fetch(`${proxy.url}/api/chats`, {
        headers: { "x-request-id": "during-maintenance" },
      });
      expect(api.status).toBe(503);
      expect(api.headers.get("retry-after")).toBe("60");
      expect(api.headers.get("content-type")).toBe("application/json");
      expect(await readJson<ErrorBody>(api)).toMatchObject({
        error: { code: "maintenance" },
        request_id: "during-maintenance",
      });
      const page = await fetch(`${proxy.url}/api/docs`, { headers: { accept: "text/html,*/*" } });
      expect(page.status).toBe(503);
      expect(page.headers.get("content-type")).toBe("text/html");
      expect(await page.text()).toContain("Quarry is down for maintenance");
      expect(stubs.chats.held()).toBe(0);
    } finally {
      unlinkSync(flag);
    }
    expect((await fetch(`${proxy.url}/api/chats`)).status).toBe(200);
  });

  it("answers 503 maintenance (not a bare 502) when a function is unreachable", async () => {
    const closed = await freePort();
    const ports = Object.fromEntries(FUNCTIONS.map((name) => [name, stubs[name].port])) as Record<
      FunctionName,
      number
    >;
    const partial = await startNginx(nginx, { upstreams: { ...ports, analyze: closed } });
    try {
      const res = await fetch(`${partial.url}/api/analyze`, { method: "POST" });
      expect(res.status).toBe(503);
      expect((await readJson<ErrorBody>(res)).error.code).toBe("maintenance");
      expect((await fetch(`${partial.url}/api/version`)).status).toBe(200);
    } finally {
      await partial.stop();
    }
  });

  it("limits open connections per client address with a 429 envelope", async () => {
    const ports = Object.fromEntries(FUNCTIONS.map((name) => [name, stubs[name].port])) as Record<
      FunctionName,
      number
    >;
    const limited = await startNginx(nginx, { upstreams: ports, connectionLimit: 2 });
    const ids = ["hold-1", "hold-2"];
    try {
      const held = ids.map((id) =>
        fetch(`${limited.url}/api/chats/hold`, { headers: { "x-request-id": id } }),
      );
      for (let i = 0; i < 100 && stubs.chats.held() < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(stubs.chats.held()).toBe(2);
      const third = await fetch(`${limited.url}/api/version`);
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBe("1");
      expect((await readJson<ErrorBody>(third)).error.code).toBe("rate_limited");
      for (const id of ids) stubs.chats.release(id);
      for (const res of await Promise.all(held)) expect(await res.text()).toBe("released");
      expect((await fetch(`${limited.url}/api/version`)).status).toBe(200);
    } finally {
      for (const id of ids) stubs.chats.release(id);
      await limited.stop();
    }
  });
});
