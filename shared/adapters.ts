import type { Config } from "./config/index.ts";
import { hashingModelName } from "./embeddings/hashing-embedder.ts";
import { modelAlias } from "./embeddings/model-alias.ts";

/** The name the embedder stores vectors under: the configured alias, else one derived from the model. */
export function embeddingModelName(
  config: Pick<Config, "EMBEDDINGS_URL" | "EMBEDDINGS_MODEL" | "EMBEDDINGS_MODEL_ALIAS" | "EMBEDDINGS_DIMS">,
): string {
  if (config.EMBEDDINGS_MODEL_ALIAS) return config.EMBEDDINGS_MODEL_ALIAS;
  return config.EMBEDDINGS_URL && config.EMBEDDINGS_MODEL
    ? modelAlias(config.EMBEDDINGS_MODEL)
    : hashingModelName(config.EMBEDDINGS_DIMS);
}

/**
 * Which adapter serves each port, as `/api/version` reports it: `{ database: "postgres", … }`. Read from
 * config alone, so a function that does not build a port (auth and ops build no blob store) still reports it.
 */
export function portAdapters(config: Config): Record<string, string> {
  // Rate limits, idempotency and the chat stream limit share the one Redis, or stay in memory.
  const counters = config.REDIS_URL ? "redis" : "memory";
  return {
    database: config.DATABASE_URL ? "postgres" : "embedded-postgres",
    rate_limits: counters,
    idempotency: counters,
    chat_stream_limit: counters,
    blob_store: config.S3_BUCKET ? "s3" : "filesystem",
    vector_index: config.QDRANT_URL ? "qdrant" : "embedded",
    embedder: config.EMBEDDINGS_URL
      ? `openai-compatible (${embeddingModelName(config)})`
      : `builtin-hashing (${embeddingModelName(config)}; lexical, not semantic)`,
    llm: config.LLM_URL
      ? `openai-compatible (${config.LLM_MODEL})`
      : "extractive (no language model configured)",
  };
}
