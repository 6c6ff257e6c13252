import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { generateSigningJwk } from "../../shared/auth/keys.ts";
import { freePort } from "../../shared/net/free-port.ts";
import { readJson, servicesRequired } from "../helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { metricsUsedByAlerts } from "../infra/monitoring.ts";
import { buildLikeTheImage, runtimeLayout } from "./image.ts";
import { FUNCTIONS, type FunctionName, findNginx, type LocalNginx, startNginx } from "./nginx.ts";
import { type BundleProcess, runningProcesses, startBundleProcess } from "./processes.ts";
import { readEvents, type SseEvent } from "./sse.ts";

/**
 * Quarry as deployed: each function and the worker as its own process (`node dist/<name>.mjs`, run from a
 * copy of what the image holds: the bundles and nothing else, no node_modules), built from what the Docker
 * build context holds, a real nginx with infra/nginx/nginx.conf in front, and every call made through it.
 * With SMOKE_BASE_URL (+ SMOKE_LOGIN, SMOKE_PASSWORD of an editor or admin) the same calls go to a real
 * deployment instead, and the process-level checks (logs, /metrics) are skipped.
 * A step whose function is not built or whose route is not in the API yet is skipped, loudly.
 */
const remoteBase = process.env.SMOKE_BASE_URL?.replace(/\/$/, "");
const nginxBinary = remoteBase ? null : findNginx();
const runnable = Boolean(remoteBase) || nginxBinary !== null;
if (!runnable) {
  const message =
    "nginx is not installed: the smoke suite needs it (apt-get install nginx-light) or SMOKE_BASE_URL";
  if (servicesRequired) throw new Error(`${message}; REQUIRE_SERVICES=1`);
  console.warn(`\n⚠️  SKIPPED: ${message}\n`);
}
if (remoteBase && !(process.env.SMOKE_LOGIN && process.env.SMOKE_PASSWORD)) {
  throw new Error(
    "SMOKE_BASE_URL needs SMOKE_LOGIN and SMOKE_PASSWORD (a user with the editor role or above)",
  );
}

const PROCESSES = [...FUNCTIONS, "worker"] as const;
type ProcessName = (typeof PROCESSES)[number];
/** How long the model stand-in holds its answer after the first token, waiting for the test to see it. */
const MODEL_HOLD_MS = 15_000;

interface HeldModel {
  server: ModelServer;
  release(): void;
  /** How the held answers ended: released by the test, or by the hold running out. */
  endings: ("released" | "timed out")[];
}

interface Local {
  dir: string;
  database: TestDatabase;
  processes: Partial<Record<ProcessName, BundleProcess>>;
  nginx: LocalNginx;
  model: HeldModel;
  admin: { login: string; password: string };
}

async function startHeldModel(): Promise<HeldModel> {
  const server = await startModelServer();
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const endings: HeldModel["endings"] = [];
  server.route("POST", "/v1/chat/completions", async ({ res }) => {
    endings.push(await streamHeldAnswer(res, held));
  });
  return { server, release: () => release(), endings };
}

/** An OpenAI-style stream: the first token at once, the rest when `held` resolves (or the hold runs out). */
async function streamHeldAnswer(res: ServerResponse, held: Promise<void>): Promise<"released" | "timed out"> {
  const chunk = (body: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id: "smoke", object: "chat.completion.chunk", created: 0, model: "smoke-model", ...body })}\n\n`;
  const choice = (delta: Record<string, string>, finish: string | null = null) =>
    chunk({ choices: [{ index: 0, delta, finish_reason: finish }] });
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(choice({ role: "assistant", content: "The" }));
  const ending = await Promise.race([
    held.then(() => "released" as const),
    new Promise<"timed out">((resolve) => setTimeout(() => resolve("timed out"), MODEL_HOLD_MS)),
  ]);
  res.write(choice({ content: " answer." }));
  res.write(choice({}, "stop"));
  res.write(chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
  res.end("data: [DONE]\n\n");
  return ending;
}

async function startLocal(): Promise<Local> {
  const dir = mkdtempSync(join(tmpdir(), "quarry-smoke-"));
  const app = join(dir, "app");
  runtimeLayout(buildLikeTheImage(join(dir, "context")), app);
  const database = await createTestDatabase();
  const model = await startHeldModel();
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  // What the containers get (stack.yml), minus S3/Qdrant: a shared data dir stands in for the blob store.
  const env: Record<string, string> = {
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    DATABASE_URL: database.url,
    JWT_KEYS: JSON.stringify([await generateSigningJwk("smoke-1")]),
    DATA_DIR: dataDir,
    BLOB_SIGNING_SECRET: randomBytes(32).toString("hex"),
    TRUST_PROXY: "1",
    PASSWORD_SCRYPT_LOG_N: "10",
    LLM_URL: model.server.url,
    LLM_MODEL: "smoke-model",
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  const quiet = { PATH: process.env.PATH ?? "", ...env, LOG_LEVEL: "warn" };
  execFileSync(process.execPath, ["dist/migrate.mjs"], { cwd: app, env: quiet, stdio: "pipe" });
  const admin = { login: "smoke-admin", password: `smoke-${randomBytes(9).toString("hex")}` };
  const cli = ["dist/cli.mjs", "create-tenant", "--slug", "smoke", "--name", "Smoke"];
  execFileSync(process.execPath, [...cli, "--admin-login", admin.login, "--admin-password-stdin"], {
    cwd: app,
    env: quiet,
    input: admin.password,
    stdio: "pipe",
  });
  const processes: Local["processes"] = {};
  for (const name of PROCESSES) {
    if (!existsSync(join(app, "dist", `${name}.mjs`))) {
      console.warn(`\n⚠️  dist/${name}.mjs is not built yet: its smoke steps will be skipped\n`);
      continue;
    }
    processes[name] = await startBundleProcess(app, name, env);
  }
  const upstreams = {} as Record<FunctionName, number>;
  for (const name of FUNCTIONS) upstreams[name] = processes[name]?.port ?? (await freePort());
  const nginx = await startNginx(nginxBinary ?? "nginx", { upstreams });
  return { dir, database, processes, nginx, model, admin };
}

describe.skipIf(!runnable)("smoke: the functions behind nginx", () => {
  let base = remoteBase ?? "";
  let local: Local | null = null;
  let token = "";
  let apiPaths = new Set<string>();
  const word = `quarrysmoke${randomBytes(4).toString("hex")}`;
  const state: { chatId?: string; documentId?: string } = {};

  beforeAll(async () => {
    if (!remoteBase) {
      local = await startLocal();
      base = local.nginx.url;
    }
    const docs = await fetch(`${base}/api/docs/openapi.json`);
    expect(docs.status).toBe(200);
    apiPaths = new Set(Object.keys((await readJson<{ paths: Record<string, unknown> }>(docs)).paths));
  }, 240_000);

  afterAll(async () => {
    if (!local) return;
    local.model.release();
    await local.nginx.stop();
    for (const child of Object.values(local.processes)) await child.stop();
    await local.model.server.close();
    await local.database.drop();
    rmSync(local.dir, { recursive: true, force: true });
    expect(runningProcesses()).toBe(0);
  }, 60_000);

  /** Skips the step, visibly, unless every path is in the OpenAPI document and the function runs. */
  function requireRoutes(ctx: TestContext, fn: FunctionName, paths: string[]): void {
    const missing = paths.filter((path) => !apiPaths.has(path));
    const notBuilt = local !== null && !local.processes[fn];
    if (missing.length === 0 && !notBuilt) return;
    const why = notBuilt ? `dist/${fn}.mjs is not built` : `not in the API yet: ${missing.join(", ")}`;
    console.warn(`\n⚠️  SKIPPED smoke step "${ctx.task.name}": ${why}\n`);
    ctx.skip();
  }

  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(init.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    if (json !== undefined) headers.set("content-type", "application/json");
    const body = json !== undefined ? JSON.stringify(json) : init.body;
    return fetch(`${base}${path}`, { ...rest, headers, body });
  };

  it("logs in, the request id reaching the auth process and coming back", async () => {
    const requestId = `smoke-login-${randomBytes(4).toString("hex")}`;
    const login = local?.admin.login ?? process.env.SMOKE_LOGIN ?? "";
    const password = local?.admin.password ?? process.env.SMOKE_PASSWORD ?? "";
    const res = await call("/api/auth/login", {
      method: "POST",
      headers: { "x-request-id": requestId },
      json: { login, password },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    const body = await readJson<{ access_token: string; token_type: string; user: { login: string } }>(res);
    expect(body).toMatchObject({ token_type: "bearer", user: { login } });
    token = body.access_token;
    const started = local;
    if (started) {
      // Log lines reach us through pipes and files, possibly after the response: poll briefly.
      await expect
        .poll(() => started.processes.auth?.logLines().find((line) => line.request_id === requestId))
        .toMatchObject({ route: "/api/auth/login", status: 200 });
      await expect
        .poll(() => started.nginx.accessLog().find((line) => line.request_id === requestId))
        .toMatchObject({ status: 200 });
    }
    expect((await call("/api/auth/me")).status).toBe(200);
  });

  it("creates a chat and reads it back", async (ctx) => {
    requireRoutes(ctx, "chats", ["/api/chats", "/api/chats/{id}/messages"]);
    const created = await call("/api/chats", { method: "POST", json: { name: `smoke ${word}` } });
    expect(created.status).toBe(201);
    const chatId = (await readJson<{ chat_id: string }>(created)).chat_id;
    state.chatId = chatId;
    const list = await call("/api/chats?limit=50");
    expect(list.status).toBe(200);
    const { items } = await readJson<{ items: { id: string; name: string }[] }>(list);
    expect(items.find((chat) => chat.id === chatId)?.name).toBe(`smoke ${word}`);
  });

  it(
    "streams an answer as server-sent events, each event arriving as it is produced",
    async (ctx) => {
      requireRoutes(ctx, "chats", ["/api/chats/{id}/messages"]);
      if (!state.chatId) throw new Error("the previous step did not create a chat");
      const res = await call(`/api/chats/${state.chatId}/messages`, {
        method: "POST",
        headers: { accept: "text/event-stream" },
        json: { content: `What is ${word}?`, use_rag: false, response_stream: true },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const events: SseEvent[] = [];
      for await (const event of readEvents(res)) {
        events.push(event);
        // Locally the model holds the rest of its answer until the first token is seen here.
        if (event.event === "token") local?.model.release();
      }
      const names = events.map((event) => event.event);
      expect(names[0]).toBe("meta");
      expect(names).toContain("token");
      expect(names.at(-1)).toBe("done");
      // Released by the token seen here: had the chats function or nginx buffered the stream, the token
      // would have come only with the end of the answer, after the hold ran out.
      if (local) expect(local.model.endings).toEqual(["released"]);
      const messages = await call(`/api/chats/${state.chatId}/messages`);
      expect(messages.status).toBe(200);
      const stored = (await readJson<{ items: { role: string }[] }>(messages)).items.map((m) => m.role);
      expect(stored.sort()).toEqual(["assistant", "user"]);
    },
    MODEL_HOLD_MS + 30_000,
  );

  it("uploads a small document and waits until it is ready", async (ctx) => {
    requireRoutes(ctx, "rag", ["/api/rag/upload", "/api/rag/{id}"]);
    if (local && !local.processes.worker) throw new Error("dist/worker.mjs is not running");
    const form = new FormData();
    const text = `Smoke test document.\n\nThe secret word of this run is ${word}. It appears nowhere else.\n`;
    form.append("file", new Blob([text], { type: "text/plain" }), `${word}.txt`);
    form.append("tags", "smoke");
    const res = await call("/api/rag/upload", { method: "POST", body: form });
    expect(res.status).toBe(201);
    const { id } = await readJson<{ id: string }>(res);
    state.documentId = id;
    let doc = { status: "", error: null as string | null };
    for (const deadline = Date.now() + 45_000; Date.now() < deadline; ) {
      doc = await readJson<typeof doc>(await call(`/api/rag/${id}`));
      if (["ready", "failed", "canceled"].includes(doc.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(doc).toEqual(expect.objectContaining({ status: "ready", error: null }));
  }, 60_000);

  it("finds the document by searching for its word", async (ctx) => {
    requireRoutes(ctx, "rag", ["/api/rag/search"]);
    if (!state.documentId) throw new Error("the previous step did not upload a document");
    const res = await call("/api/rag/search", { method: "POST", json: { query: word, top_k: 5 } });
    expect(res.status).toBe(200);
    const { items } = await readJson<{ items: { document_id: string; snippet: string }[] }>(res);
    expect(items[0]?.document_id).toBe(state.documentId);
    expect(items[0]?.snippet).toContain(word);
  });

  it("submits an analyze job and reads its result", async (ctx) => {
    requireRoutes(ctx, "analyze", ["/api/analyze", "/api/analyze/{id}"]);
    const res = await call("/api/analyze", {
      method: "POST",
      json: {
        text: `Quarry smoke analysis. ${word} is a made-up word used to test the pipeline end to end.`,
      },
    });
    expect(res.status).toBe(202);
    const accepted = await readJson<{ id: string; accepted: boolean }>(res);
    expect(accepted.accepted).toBe(true);
    let job = { status: "", error: null as string | null, result: null as unknown };
    for (const deadline = Date.now() + 45_000; Date.now() < deadline; ) {
      job = await readJson<typeof job>(await call(`/api/analyze/${accepted.id}`));
      if (["ready", "failed", "canceled"].includes(job.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(job).toEqual(expect.objectContaining({ status: "ready", error: null }));
    expect(job.result).toBeTruthy();
  }, 60_000);

  it("reads /api/version", async () => {
    const res = await call("/api/version");
    expect(res.status).toBe(200);
    const version = await readJson<{ version: string; adapters: Record<string, string> }>(res);
    expect(version.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.adapters.database).toBe("postgres");
  });

  it("serves /metrics from every function and the worker, with every metric the alert rules read", async (ctx) => {
    if (!local) {
      console.warn(
        "\n⚠️  SKIPPED smoke step: /metrics is not published through nginx (scrape it in the network)\n",
      );
      ctx.skip();
      return;
    }
    expect(local.processes.worker).toBeDefined();
    let exported = "";
    for (const [name, child] of Object.entries(local.processes)) {
      const res = await fetch(`${child.url}/metrics`);
      expect(res.status, name).toBe(200);
      const text = await res.text();
      expect(text, name).toContain(`function="${name}"`);
      expect(text, name).toMatch(/^http_requests_total\{/m);
      exported += text;
    }
    const used = metricsUsedByAlerts();
    expect(used.length).toBeGreaterThanOrEqual(7);
    for (const metric of used) expect(exported, metric).toMatch(new RegExp(`^${metric}[{ ]`, "m"));
  });
});
