import { embeddingModelName } from "../adapters.ts";
import { createConcurrencyLimiter } from "../backpressure.ts";
import { type Config, ConfigError } from "../config/index.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { createHashingEmbedder } from "./hashing-embedder.ts";
import { modelCallMetrics } from "./metrics.ts";
import { createOpenAiEmbedder } from "./openai-embedder.ts";
import type { Embedder } from "./port.ts";

export type { Embedder } from "./port.ts";

/** The model server when EMBEDDINGS_URL is set, otherwise the built-in (lexical) hashing embedder. */
export function createEmbedder(config: Config, log: Logger, metrics?: Metrics): Embedder {
  if (!config.EMBEDDINGS_URL) {
    return createHashingEmbedder({ dims: config.EMBEDDINGS_DIMS, model: embeddingModelName(config) });
  }
  if (!config.EMBEDDINGS_MODEL) {
    throw new ConfigError([
      "EMBEDDINGS_MODEL: required with EMBEDDINGS_URL (the model name the server knows)",
    ]);
  }
  return createOpenAiEmbedder({
    baseUrl: config.EMBEDDINGS_URL,
    apiKey: config.EMBEDDINGS_API_KEY,
    model: config.EMBEDDINGS_MODEL,
    alias: embeddingModelName(config),
    dims: config.EMBEDDINGS_DIMS,
    batchSize: config.EMBEDDINGS_BATCH_SIZE,
    parallelBatches: config.EMBEDDINGS_CONCURRENCY,
    timeoutMs: config.EMBEDDINGS_TIMEOUT_MS,
    maxRetries: config.EMBEDDINGS_MAX_RETRIES,
    limiter: createConcurrencyLimiter({
      concurrency: config.EMBEDDINGS_CONCURRENCY,
      queueLimit: config.EMBEDDINGS_QUEUE_LIMIT,
      name: "embeddings",
    }),
    log: log.child({ component: "embeddings" }),
    metrics: metrics && modelCallMetrics(metrics.registry),
  });
}
