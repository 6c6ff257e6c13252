import { createConcurrencyLimiter } from "../backpressure.ts";
import { type Config, ConfigError } from "../config/index.ts";
import { modelCallMetrics } from "../embeddings/metrics.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { createExtractiveResponder } from "./extractive-responder.ts";
import { createOpenAiChatModel } from "./openai-chat-model.ts";
import type { LanguageModel } from "./port.ts";

export type { LanguageModel } from "./port.ts";

/** The model server when LLM_URL is set, otherwise the extractive responder (no generation). */
export function createLanguageModel(config: Config, log: Logger, metrics?: Metrics): LanguageModel {
  if (!config.LLM_URL) return createExtractiveResponder();
  if (!config.LLM_MODEL) {
    throw new ConfigError(["LLM_MODEL: required with LLM_URL (the model name the server knows)"]);
  }
  return createOpenAiChatModel({
    baseUrl: config.LLM_URL,
    apiKey: config.LLM_API_KEY,
    model: config.LLM_MODEL,
    timeoutMs: config.LLM_TIMEOUT_MS,
    firstTokenTimeoutMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
    maxRetries: config.LLM_MAX_RETRIES,
    concurrency: config.LLM_CONCURRENCY,
    queueLimit: config.LLM_QUEUE_LIMIT,
    limiter: createConcurrencyLimiter({
      concurrency: config.LLM_CONCURRENCY,
      queueLimit: config.LLM_QUEUE_LIMIT,
      name: "llm",
    }),
    log: log.child({ component: "llm" }),
    metrics: metrics && modelCallMetrics(metrics.registry),
  });
}
