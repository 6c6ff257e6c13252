import { z } from "zod";
import type { ConcurrencyLimiter } from "../backpressure.ts";
import type { Logger } from "../logger.ts";
import { postJson } from "../net/post-json.ts";
import { type ModelCallSpan, startModelCallSpan } from "../tracing/model-call-span.ts";
import type { ModelCallFailure, ModelCallMetrics } from "./metrics.ts";
import type { Embedder } from "./port.ts";
import { answerFailure, backoffDelay, type ModelCallAttemptFailure, networkFailure, sleep } from "./retry.ts";

export interface OpenAiEmbedderOptions {
  /** Base URL of the API, e.g. http://ollama:11434/v1 (`/embeddings` is appended). */
  baseUrl: string;
  apiKey?: string;
  /** The model name the server knows. */
  model: string;
  /** The name stored in `embeddings.model`. */
  alias: string;
  /** Expected vector size; learnt from the first answer when not given. */
  dims?: number;
  batchSize: number;
  /** Batches of one `embed` call in flight at once (each also takes a limiter slot). */
  parallelBatches: number;
  timeoutMs: number;
  maxRetries: number;
  limiter: ConcurrencyLimiter;
  log: Logger;
  metrics?: ModelCallMetrics;
  /** First retry waits about this long, doubling each time (tests shorten it). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** A model server call that failed for good; `message` says where, how often and why. */
export class EmbeddingError extends Error {
  constructor(
    message: string,
    readonly reason: ModelCallFailure,
    readonly attempts: number,
  ) {
    super(message);
    this.name = "EmbeddingError";
  }
}

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
});

const MAX_RETRY_AFTER_MS = 60_000;

/** Any OpenAI-compatible `/embeddings` server (Ollama, TEI, vLLM, LiteLLM, OpenAI). */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const endpoint = new URL(
    "embeddings",
    options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`,
  );
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 20_000;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let dims = options.dims ?? null;

  function toVectors(body: unknown, count: number): Float32Array[] | ModelCallAttemptFailure {
    const parsed = responseSchema.safeParse(body);
    const invalid = (message: string): ModelCallAttemptFailure => ({
      reason: "invalid_response",
      message: `invalid response: ${message}`,
      retryable: false,
    });
    if (!parsed.success) return invalid("expected {data:[{index, embedding:number[]}]}");
    const { data } = parsed.data;
    if (data.length !== count) return invalid(`${data.length} embeddings for ${count} inputs`);
    const vectors: Float32Array[] = new Array(count);
    const expected = dims ?? data[0]?.embedding.length ?? 0;
    for (const item of data) {
      if (item.index >= count || vectors[item.index]) return invalid(`bad or repeated index ${item.index}`);
      if (item.embedding.length !== expected || expected === 0)
        return invalid(`embedding of ${item.embedding.length} dimensions, expected ${expected}`);
      vectors[item.index] = Float32Array.from(item.embedding);
    }
    return vectors;
  }

  async function attempt(
    input: string[],
    signal?: AbortSignal,
  ): Promise<Float32Array[] | ModelCallAttemptFailure> {
    const span = startModelCallSpan("embeddings", options.model, endpoint, headers);
    try {
      const result = await send(input, span, signal);
      if (!Array.isArray(result)) span.failed(result.reason);
      return result;
    } catch (error) {
      span.failed("canceled");
      throw error;
    } finally {
      span.end();
    }
  }

  async function send(
    input: string[],
    span: ModelCallSpan,
    signal?: AbortSignal,
  ): Promise<Float32Array[] | ModelCallAttemptFailure> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await postJson(endpoint, {
        headers: span.headers,
        body: JSON.stringify({ model: options.model, input, encoding_format: "float" }),
        signal: combined,
      });
      span.answered(response.status);
      if (!response.ok) return await answerFailure(response, MAX_RETRY_AFTER_MS);
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { reason: "invalid_response", message: "invalid response: not JSON", retryable: false };
      }
      return toVectors(body, input.length);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        return { reason: "timeout", message: `no answer within ${options.timeoutMs} ms`, retryable: true };
      return networkFailure(error);
    }
  }

  async function embedBatch(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    for (let tries = 1; ; tries++) {
      const result = await attempt(input, signal);
      if (Array.isArray(result)) {
        if (dims === null) dims = result[0]?.length ?? null;
        options.metrics?.observe("embeddings", "ok", seconds());
        return result;
      }
      options.metrics?.failure("embeddings", result.reason);
      if (!result.retryable || tries > options.maxRetries) {
        options.metrics?.observe("embeddings", "error", seconds());
        const count = `${tries} attempt${tries === 1 ? "" : "s"}`;
        throw new EmbeddingError(
          `embeddings request to ${where} (model ${options.model}) failed after ${count}: ${result.message}`,
          result.reason,
          tries,
        );
      }
      const delayMs = result.retryAfterMs ?? backoffDelay(tries - 1, retryBaseMs, retryMaxMs);
      options.log.warn(
        { attempt: tries, delay_ms: delayMs, reason: result.reason, detail: result.message },
        "embeddings request failed, retrying",
      );
      await sleep(delayMs, signal);
    }
  }

  return {
    kind: "openai-compatible",
    model: options.alias,
    get dims() {
      return dims;
    },
    semantic: true,
    async embed(texts, signal) {
      const batches: string[][] = [];
      for (let i = 0; i < texts.length; i += options.batchSize)
        batches.push(texts.slice(i, i + options.batchSize));
      const results: Float32Array[][] = new Array(batches.length);
      // The first failure stops this call's other batches instead of letting them run on.
      const stop = new AbortController();
      const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      let next = 0;
      const worker = async () => {
        while (next < batches.length && !combined.aborted) {
          const index = next++;
          const batch = batches[index] as string[];
          results[index] = await options.limiter.run(() => embedBatch(batch, combined), combined);
        }
      };
      const workers = Array.from({ length: Math.min(options.parallelBatches, batches.length) }, () =>
        worker().catch((error: unknown) => {
          stop.abort(error);
          throw error;
        }),
      );
      const settled = await Promise.allSettled(workers);
      // Batches stopped by the first failure reject with that same error (the abort reason).
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      return results.flat();
    },
  };
}
