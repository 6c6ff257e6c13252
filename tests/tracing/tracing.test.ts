import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { allRouteGroups } from "../../bin/route-groups.ts";
import { createRouter } from "../../shared/http/router.ts";
import { startTracing, type Tracing } from "../../shared/tracing/index.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { addChatCompletions } from "../helpers/chat-stand-in.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { type Collector, type ExportedSpan, startCollector } from "../helpers/otlp-collector.ts";
import { seedDocument } from "../helpers/seed-corpus.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, waitForStatus } from "../helpers/worker.ts";
import { uploadFile } from "../ingest/fixtures.ts";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

function only(spans: ExportedSpan[], match: (span: ExportedSpan) => boolean): ExportedSpan {
  const found = spans.filter(match);
  if (found.length !== 1) {
    const names = spans.map((s) => `${s.kind} ${s.name}`).join(", ");
    throw new Error(`expected one matching span, got ${found.length} among: ${names}`);
  }
  return found[0] as ExportedSpan;
}

const serverSpan = (spans: ExportedSpan[], name: string) =>
  only(spans, (s) => s.kind === "server" && s.name === name);

/** Route group that fails, for the 5xx span. */
function failingRoutes() {
  const routes = createRouter();
  routes.get("/api/test/fail/:n", () => {
    throw new Error("planned failure");
  });
  return routes;
}

describe("OpenTelemetry tracing", () => {
  let database: TestDatabase;
  let collector: Collector;
  let model: ModelServer;
  let t: TestApp;
  let reader: TestUser;
  let editor: TestUser;
  let tracing: Tracing | undefined;

  const modelEnv = (): Record<string, string> => ({
    EMBEDDINGS_URL: model.url,
    EMBEDDINGS_MODEL: "stand-in-embed",
    LLM_URL: model.url,
    LLM_MODEL: "stand-in-chat",
  });

  /** Runs `work` with tracing started from the app's config, then shuts it down (which flushes). */
  async function traced(app: TestApp, work: () => Promise<void>): Promise<ExportedSpan[]> {
    collector.clear();
    model.clear();
    tracing = await startTracing(app.deps.config, "rag");
    try {
      await work();
    } finally {
      await tracing.shutdown();
      tracing = undefined;
    }
    return collector.spans();
  }

  beforeAll(async () => {
    [database, collector, model] = await Promise.all([
      createTestDatabase(),
      startCollector(),
      startModelServer(),
    ]);
    addChatCompletions(model);
    t = await startTestApp({
      database,
      env: { ...modelEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ANSWER_CACHE_TTL_SECONDS: "0" },
      routeGroups: (version) => [...allRouteGroups(version), failingRoutes()],
    });
    ({ reader, editor } = await createTeam(t.deps));
    await seedDocument(t.deps, reader.tenantId, {
      name: "handbook.md",
      chunks: ["The office opens at nine and closes at six on weekdays."],
    });
  });
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([collector?.close(), model?.close()]);
    await database?.drop();
  });

  it("names the server span after the route template, never the raw path", async () => {
    const id = randomUUID();
    let requestId: string | null = null;
    const spans = await traced(t, async () => {
      const res = await t.call(`/api/rag/${id}`, { token: reader.token });
      expect(res.status).toBe(404);
      requestId = res.headers.get("x-request-id");
      await res.body?.cancel();
    });

    expect(collector.requests.every((r) => r.headers["content-type"] === "application/json")).toBe(true);
    const span = only(spans, (s) => s.kind === "server");
    expect(span.name).toMatch(/^GET \/api\/rag\/:\w+$/);
    expect(JSON.stringify(span)).not.toContain(id);
    expect(span).toMatchObject({
      service: "quarry-rag",
      status: "unset",
      attributes: {
        "http.request.method": "GET",
        "http.route": span.name.slice("GET ".length),
        "http.response.status_code": 404,
        "quarry.request_id": requestId,
      },
    });
  });

  it("marks a 5xx answer as an error", async () => {
    const spans = await traced(t, async () => {
      const res = await t.call("/api/test/fail/7");
      expect(res.status).toBe(500);
      await res.body?.cancel();
    });
    expect(serverSpan(spans, "GET /api/test/fail/:n")).toMatchObject({
      status: "error",
      attributes: { "http.response.status_code": 500 },
    });
  });

  it("continues the trace of an incoming traceparent", async () => {
    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    const spans = await traced(t, async () => {
      const res = await t.call("/healthz", { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    });
    expect(serverSpan(spans, "GET /healthz")).toMatchObject({ traceId, parentSpanId: parentId });
  });

  it.each([
    { streamed: false, question: "When does the office open?" },
    // The request span ends when the stream starts; the model call goes on as its child.
    { streamed: true, question: "When does the office close?" },
  ])(
    "makes each model call a child span and sends it its traceparent (streamed: $streamed)",
    async ({ streamed, question }) => {
      const spans = await traced(t, async () => {
        const created = await t.call("/api/chats", { method: "POST", token: reader.token, json: {} });
        const { chat_id: chatId } = await readJson<{ chat_id: string }>(created);
        const res = await t.call(`/api/chats/${chatId}/messages`, {
          method: "POST",
          token: reader.token,
          json: { content: question, response_stream: streamed },
        });
        expect(res.status).toBe(200);
        expect(await res.text()).toContain("nine");
      });

      const request = serverSpan(spans, "POST /api/chats/:id/messages");
      for (const [operation, path, modelName] of [
        ["chat", "/v1/chat/completions", "stand-in-chat"],
        ["embeddings", "/v1/embeddings", "stand-in-embed"],
      ] as const) {
        const call = only(spans, (s) => s.name === `${operation} ${modelName}`);
        expect(call).toMatchObject({
          kind: "client",
          traceId: request.traceId,
          parentSpanId: request.spanId,
          attributes: {
            "gen_ai.operation.name": operation,
            "gen_ai.request.model": modelName,
            "server.address": "127.0.0.1",
            "http.response.status_code": 200,
          },
        });
        const sent = model.requests.filter((r) => r.path === path);
        expect(sent.length).toBeGreaterThan(0);
        for (const r of sent) {
          const [, traceId, spanId] = TRACEPARENT.exec(String(r.headers.traceparent)) ?? [];
          expect(traceId).toBe(request.traceId);
          expect(spanId).toBe(call.spanId);
        }
      }
    },
  );

  it("makes each job run a span, with its task and job id, parent of the job's model calls", async () => {
    const spans = await traced(t, async () => {
      const worker = await startTestWorker(t);
      try {
        const uploaded = await uploadFile(
          t,
          editor.token,
          "Parking permits are issued on floor two.",
          "a.txt",
        );
        await waitForStatus(t, uploaded.id, "ready");
      } finally {
        await worker.stop();
      }
    });
    expect(runningWorkers()).toBe(0);

    const embed = only(spans, (s) => s.name === "job ingest:embed");
    expect(embed).toMatchObject({
      kind: "consumer",
      status: "unset",
      attributes: { "quarry.job.task": "ingest:embed" },
    });
    expect(embed.parentSpanId).toBeUndefined();
    expect(String(embed.attributes["quarry.job.id"])).toMatch(/^\d+$/);
    for (const task of ["ingest:extract", "ingest:chunk", "ingest:index"]) {
      only(spans, (s) => s.kind === "consumer" && s.attributes["quarry.job.task"] === task);
    }
    expect(only(spans, (s) => s.name === "embeddings stand-in-embed")).toMatchObject({
      kind: "client",
      traceId: embed.traceId,
      parentSpanId: embed.spanId,
    });
  });

  it("sends nothing and propagates nothing when OTEL_EXPORTER_OTLP_ENDPOINT is unset", async () => {
    // The same signing keys: the reader's token is good on both apps.
    const off = await startTestApp({
      database,
      env: { ...modelEnv(), JWT_KEYS: t.deps.config.JWT_KEYS as string },
    });
    try {
      expect(off.deps.config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
      await traced(off, async () => {
        const res = await off.call("/api/rag/search", {
          method: "POST",
          token: reader.token,
          json: { query: "office hours", mode: "vector" },
        });
        expect(res.status).toBe(200);
        await res.body?.cancel();
      });
      // The exporter would POST at shutdown at the latest: give a stray one time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(collector.requests).toEqual([]);
      const embedding = model.requests.filter((r) => r.path === "/v1/embeddings");
      expect(embedding.length).toBe(1);
      expect(embedding[0]?.headers.traceparent).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
