/** One message of a prompt, OpenAI chat format. */
export interface LlmMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface CompletionRequest {
  messages: LlmMessage[];
  temperature?: number;
  maxTokens?: number;
  /**
   * The numbered sources already rendered into `messages`, given again as data: the extractive responder
   * answers from them; a real model ignores this field.
   */
  sources?: { number: number; text: string; title: string }[];
  /** Aborts the upstream request (client went away, job canceled). */
  signal?: AbortSignal;
}

export interface CompletionUsage {
  tokensIn: number;
  tokensOut: number;
}

/** What a streamed completion yields: text deltas, then one final `done`. */
export type CompletionEvent =
  | { type: "delta"; text: string }
  | { type: "done"; finishReason: string; usage: CompletionUsage | null };

/**
 * The language model port: an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LiteLLM, OpenAI), or
 * the built-in extractive responder when no model is configured.
 */
export interface LanguageModel {
  readonly kind: "openai-compatible" | "extractive";
  /** Model name reported in messages and `/api/version`. */
  readonly model: string;
  /**
   * Streams a completion. Errors before the first delta may be retried by the adapter; after it they are
   * thrown from the iterator. A full wait queue throws ApiError("overloaded") at once, from `stream()`
   * itself (so an HTTP caller can still answer 503). A call may hold a concurrency slot from then on:
   * iterate to the end or call the iterator's `return()` (a `for await` that exits early does).
   */
  stream(request: CompletionRequest): AsyncIterable<CompletionEvent>;
}
