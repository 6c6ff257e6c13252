import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createConcurrencyLimiter } from "../../shared/backpressure.ts";
import { ConfigError, loadConfig } from "../../shared/config/index.ts";
import { createEmbedder } from "../../shared/embeddings/index.ts";
import { modelAlias } from "../../shared/embeddings/model-alias.ts";
import {
  createOpenAiEmbedder,
  EmbeddingError,
  type OpenAiEmbedderOptions,
} from "../../shared/embeddings/openai-embedder.ts";
import { createLogger } from "../../shared/logger.ts";
import { createMetrics } from "../../shared/metrics.ts";
import {
  embeddingInputs,
  type ModelServer,
  sendJson,
  standInEmbedding,
  startModelServer,
} from "../helpers/model-server.ts";

const log = createLogger("silent");

describe("OpenAI-compatible embedder", () => {
  let server: ModelServer;
  beforeAll(async () => {
    server = await startModelServer({ dims: 16 });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.clear();
    server.dims = 16;
    server.reverseOrder = false;
  });

  function embedder(overrides: Partial<OpenAiEmbedderOptions> = {}) {
    return createOpenAiEmbedder({
      baseUrl: server.url,
      apiKey: "sk-test",
      model: "stand-in-embed",
      alias: "stand-in",
      batchSize: 4,
      parallelBatches: 2,
      timeoutMs: 2000,
      maxRetries: 3,
      retryBaseMs: 5,
      retryMaxMs: 20,
      limiter: createConcurrencyLimiter({ concurrency: 4, queueLimit: 16, name: "embeddings" }),
      log,
      ...overrides,
    });
  }

  it("posts {model, input, encoding_format: float} with the API key and returns vectors in input order", async () => {
    server.reverseOrder = true;
    const texts = ["first", "second", "third"];
    const vectors = await embedder().embed(texts);
    expect(vectors.map((v) => Array.from(v))).toEqual(texts.map((t) => standInEmbedding(t, 16)));
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0];
    expect(request?.path).toBe("/v1/embeddings");
    expect(request?.body).toEqual({ model: "stand-in-embed", input: texts, encoding_format: "float" });
    expect(request?.headers.authorization).toBe("Bearer sk-test");
  });

  it("splits N texts into ceil(N / batch size) requests and keeps the order across batches", async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    const vectors = await embedder({ batchSize: 4 }).embed(texts);
    expect(server.requests).toHaveLength(3);
    const sizes = server.requests.map((_, i) => embeddingInputs(server, i).length).sort();
    expect(sizes).toEqual([2, 4, 4]);
    expect(vectors.map((v) => Array.from(v))).toEqual(texts.map((t) => standInEmbedding(t, 16)));
  });

  it("learns the vector size from the first answer when it was not configured", async () => {
    const e = embedder();
    expect(e.dims).toBeNull();
    await e.embed(["x"]);
    expect(e.dims).toBe(16);
    expect(e).toMatchObject({ kind: "openai-compatible", model: "stand-in", semantic: true });
  });

  it("retries 429 answers, honouring Retry-After, then succeeds", async () => {
    server.fail(2, 429, { retryAfter: "0" });
    const vectors = await embedder().embed(["a"]);
    expect(Array.from(vectors[0] as Float32Array)).toEqual(standInEmbedding("a", 16));
    expect(server.requests).toHaveLength(3);
  });

  it("waits as long as Retry-After asks", async () => {
    server.fail(1, 429, { retryAfter: "1" });
    const started = Date.now();
    await embedder({ retryBaseMs: 1 }).embed(["a"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it("retries 5xx answers then succeeds", async () => {
    server.fail(2, 500);
    server.fail(1, 503);
    await embedder().embed(["a", "b"]);
    expect(server.requests).toHaveLength(4);
    expect(embeddingInputs(server, 3)).toEqual(["a", "b"]);
  });

  it("gives up after the last retry with a message saying where, how often and why", async () => {
    server.fail(10, 500, { body: { error: { message: "model crashed" } } });
    const error = await embedder({ maxRetries: 2 })
      .embed(["a"])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as EmbeddingError).message).toBe(
      `embeddings request to ${server.url}/embeddings (model stand-in-embed) failed after 3 attempts: HTTP 500: model crashed`,
    );
    expect(error).toMatchObject({ reason: "server_error", attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry a request the server refuses as invalid (400)", async () => {
    server.fail(1, 400, { body: { error: { message: "unknown model" } } });
    await expect(embedder().embed(["a"])).rejects.toThrow(/failed after 1 attempt: HTTP 400: unknown model/);
    expect(server.requests).toHaveLength(1);
  });

  it("retries after a timeout", async () => {
    server.delay(1, 1000);
    const vectors = await embedder({ timeoutMs: 150 }).embed(["slow"]);
    expect(Array.from(vectors[0] as Float32Array)).toEqual(standInEmbedding("slow", 16));
    expect(server.requests).toHaveLength(2);
  });

  it("reports a timeout on every attempt as such", async () => {
    server.delay(3, 1000);
    await expect(embedder({ timeoutMs: 100, maxRetries: 1 }).embed(["slow"])).rejects.toThrow(
      /failed after 2 attempts: no answer within 100 ms/,
    );
  });

  it("retries a dropped connection", async () => {
    server.drop(1);
    await embedder().embed(["a"]);
    expect(server.requests).toHaveLength(2);
  });

  it("refuses answers with the wrong count or size, without retrying", async () => {
    await expect(embedder({ dims: 8 }).embed(["a"])).rejects.toThrow(
      /invalid response: embedding of 16 dimensions, expected 8/,
    );
    expect(server.requests).toHaveLength(1);

    const other = await startModelServer();
    other.route("POST", "/v1/embeddings", ({ res }) =>
      sendJson(res, 200, { data: [{ index: 0, embedding: [1, 0, 0] }] }),
    );
    try {
      await expect(embedder({ baseUrl: other.url }).embed(["a", "b"])).rejects.toThrow(
        /invalid response: 1 embeddings for 2 inputs/,
      );
    } finally {
      await other.close();
    }
  });

  it("stops at once when the caller aborts, without retrying", async () => {
    server.delay(1, 2000);
    const controller = new AbortController();
    const pending = embedder().embed(["a"], controller.signal);
    setTimeout(() => controller.abort(new Error("client went away")), 50);
    await expect(pending).rejects.toThrow("client went away");
    expect(server.requests).toHaveLength(1);
  });

  it("sends every batch through the shared limiter", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 16, name: "embeddings" });
    server.delay(3, 30);
    await embedder({ limiter, parallelBatches: 4, batchSize: 1 }).embed(["a", "b", "c"]);
    expect(server.requests).toHaveLength(3);
    expect(server.maxInFlight).toBe(1);
  });

  it("answers 503 overloaded when the limiter's queue is full", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 0, name: "embeddings" });
    server.delay(1, 300);
    const e = embedder({ limiter });
    const first = e.embed(["slow"]);
    await expect(e.embed(["refused"])).rejects.toMatchObject({ code: "overloaded", status: 503 });
    await first;
    expect(server.requests).toHaveLength(1);
  });
});

describe("createEmbedder", () => {
  it("uses the built-in hashing embedder when EMBEDDINGS_URL is unset", () => {
    const config = loadConfig({});
    const embedder = createEmbedder(config, log);
    expect(embedder).toMatchObject({ kind: "hashing", model: "hashing-v1", dims: 384, semantic: false });
    const custom = createEmbedder(loadConfig({ EMBEDDINGS_DIMS: "64", EMBEDDINGS_MODEL_ALIAS: "lex" }), log);
    expect(custom).toMatchObject({ model: "lex", dims: 64 });
  });

  it("uses the model server when EMBEDDINGS_URL is set, with an alias derived from the model", async () => {
    const server = await startModelServer({ dims: 8 });
    try {
      const metrics = createMetrics("test");
      const config = loadConfig({
        EMBEDDINGS_URL: server.url,
        EMBEDDINGS_MODEL: "nomic-embed-text:latest",
        EMBEDDINGS_API_KEY: "secret",
      });
      const embedder = createEmbedder(config, log, metrics);
      expect(embedder).toMatchObject({ kind: "openai-compatible", model: "nomic-embed-text-latest" });
      await embedder.embed(["hello"]);
      expect(server.requests[0]?.headers.authorization).toBe("Bearer secret");
      const text = await metrics.registry.metrics();
      expect(text).toMatch(
        /model_call_duration_seconds_count\{[^}]*operation="embeddings",outcome="ok"[^}]*\} 1/,
      );
    } finally {
      await server.close();
    }
  });

  it("refuses EMBEDDINGS_URL without EMBEDDINGS_MODEL, naming the variable", () => {
    const config = loadConfig({ EMBEDDINGS_URL: "http://127.0.0.1:9/v1" });
    expect(() => createEmbedder(config, log)).toThrow(ConfigError);
    expect(() => createEmbedder(config, log)).toThrow(/EMBEDDINGS_MODEL/);
  });

  it("derives collection-safe aliases from model names", () => {
    expect(modelAlias("nomic-embed-text:latest")).toBe("nomic-embed-text-latest");
    expect(modelAlias("BAAI/bge-small-en-v1.5")).toBe("baai-bge-small-en-v1.5");
    expect(modelAlias("__weird__")).toBe("weird__");
    expect(modelAlias("!!!")).toBe("model");
  });
});
