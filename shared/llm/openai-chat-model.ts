import { z } from "zod";
import type { ConcurrencyLimiter } from "../backpressure.ts";
import type { ModelCallMetrics } from "../embeddings/metrics.ts";
import {
  answerFailure,
  backoffDelay,
  type ModelCallAttemptFailure,
  networkFailure,
  sleep,
} from "../embeddings/retry.ts";
import type { Logger } from "../logger.ts";
import { type PostedResponse, postJson } from "../net/post-json.ts";
import { storableText } from "../text/storable-text.ts";
import { startModelCallSpan } from "../tracing/model-call-span.ts";
import { LanguageModelError } from "./errors.ts";
import type { CompletionEvent, CompletionRequest, CompletionUsage, LanguageModel } from "./port.ts";
import { holdSlot } from "./slot.ts";
import { sseData } from "./sse-reader.ts";

export interface OpenAiChatModelOptions {
  /** Base URL of the API, e.g. http://ollama:11434/v1 (`/chat/completions` is appended). */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Longest a whole completion may take, retries included. */
  timeoutMs: number;
  /** Longest wait for the first token of one attempt. */
  firstTokenTimeoutMs: number;
  /** Retries before the first token; once text has been streamed an error ends the completion. */
  maxRetries: number;
  limiter: ConcurrencyLimiter;
  concurrency: number;
  queueLimit: number;
  log: Logger;
  metrics?: ModelCallMetrics;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        message: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
  error: z.union([z.string(), z.object({ message: z.string().optional() }).loose()]).nullish(),
});

const MAX_RETRY_AFTER_MS = 30_000;

class AttemptFailure extends Error {
  constructor(readonly failure: ModelCallAttemptFailure) {
    super(failure.message);
  }
}

function toUsage(usage: z.infer<typeof chunkSchema>["usage"]): CompletionUsage | null {
  return usage ? { tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens } : null;
}

/**
 * Any OpenAI-compatible `/chat/completions` server (Ollama, vLLM, llama.cpp server, LiteLLM, OpenAI),
 * always asked to stream. Calls share a bounded limiter; a full wait queue throws `overloaded` from
 * `stream()` itself. Failures before the first token are retried with backoff (honouring Retry-After);
 * after it they end the completion with a LanguageModelError.
 */
export function createOpenAiChatModel(options: OpenAiChatModelOptions): LanguageModel {
  const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
  const endpoint = new URL("chat/completions", base);
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 8000;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream, application/json",
  };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  function requestBody(request: CompletionRequest): string {
    return JSON.stringify({
      model: options.model,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    });
  }

  /** One attempt: yields deltas, then `done`. Throws AttemptFailure for what may be retried or reported. */
  async function* attempt(
    request: CompletionRequest,
    overall: AbortSignal,
  ): AsyncGenerator<CompletionEvent, void, undefined> {
    const local = childController(overall);
    let firstTokenLate = false;
    const timer = setTimeout(() => {
      firstTokenLate = true;
      local.controller.abort(new Error("first token timeout"));
    }, options.firstTokenTimeoutMs);
    const signal = local.controller.signal;
    const span = startModelCallSpan("chat", options.model, endpoint, headers);
    const timedOut = (): ModelCallAttemptFailure | null => {
      if (firstTokenLate) {
        return {
          reason: "timeout",
          message: `no first token within ${options.firstTokenTimeoutMs} ms`,
          retryable: true,
        };
      }
      if (overall.aborted && !request.signal?.aborted) {
        return {
          reason: "timeout",
          message: `not finished within ${options.timeoutMs} ms`,
          retryable: false,
        };
      }
      return null;
    };
    const fail = (error: unknown): never => {
      if (request.signal?.aborted) throw request.signal.reason;
      if (error instanceof AttemptFailure) throw error;
      const timeout = timedOut();
      if (timeout) throw new AttemptFailure(timeout);
      throw new AttemptFailure(networkFailure(error));
    };
    try {
      let response: PostedResponse;
      try {
        response = await postJson(endpoint, {
          headers: span.headers,
          body: requestBody(request),
          signal,
        });
      } catch (error) {
        return fail(error);
      }
      span.answered(response.status);
      if (!response.ok) throw new AttemptFailure(await answerFailure(response, MAX_RETRY_AFTER_MS));
      let finishReason: string | null = null;
      let usage: CompletionUsage | null = null;
      let ended = false;
      const deltas = storableDeltas();
      try {
        for await (const data of sseData(response.body)) {
          if (data.trim() === "[DONE]") {
            ended = true;
            break;
          }
          const parsed = chunkSchema.safeParse(safeJson(data));
          if (!parsed.success) {
            throw new AttemptFailure({
              reason: "invalid_response",
              message: "invalid stream chunk",
              retryable: false,
            });
          }
          const chunk = parsed.data;
          if (chunk.error) {
            const message = typeof chunk.error === "string" ? chunk.error : (chunk.error.message ?? "error");
            throw new AttemptFailure({
              reason: "server_error",
              message: `error in stream: ${message}`,
              retryable: true,
            });
          }
          usage = toUsage(chunk.usage) ?? usage;
          const choice = chunk.choices?.[0];
          const content = choice?.delta?.content ?? choice?.message?.content;
          if (content) {
            clearTimeout(timer);
            const text = deltas.next(content);
            if (text) yield { type: "delta", text };
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
        }
      } catch (error) {
        fail(error);
      }
      if (!ended && finishReason === null) {
        throw new AttemptFailure({
          reason: "network",
          message: "the stream ended before the completion did",
          retryable: true,
        });
      }
      const rest = deltas.end();
      if (rest) yield { type: "delta", text: rest };
      yield { type: "done", finishReason: finishReason ?? "stop", usage };
    } catch (error) {
      span.failed(error instanceof AttemptFailure ? error.failure.reason : "canceled");
      throw error;
    } finally {
      clearTimeout(timer);
      local.dispose();
      span.end();
    }
  }

  async function* generate(
    request: CompletionRequest,
    granted: Promise<void>,
  ): AsyncGenerator<CompletionEvent, void, undefined> {
    await granted;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    // Plain timers and listeners: AbortSignal.timeout/any cost more per call on this hot path.
    const completion = childController(request.signal);
    const deadline = setTimeout(
      () => completion.controller.abort(new Error("completion timeout")),
      options.timeoutMs,
    );
    const overall = completion.controller.signal;
    let streamed = false;
    try {
      for (let tries = 1; ; tries++) {
        try {
          for await (const event of attempt(request, overall)) {
            if (event.type === "delta") streamed = true;
            yield event;
          }
          options.metrics?.observe("chat", "ok", seconds());
          return;
        } catch (error) {
          // The caller went away: not a model failure.
          if (!(error instanceof AttemptFailure)) throw error;
          const { failure } = error;
          options.metrics?.failure("chat", failure.reason);
          if (streamed || !failure.retryable || tries > options.maxRetries) {
            options.metrics?.observe("chat", "error", seconds());
            const count = `${tries} attempt${tries === 1 ? "" : "s"}`;
            throw new LanguageModelError(
              `chat completion from ${where} (model ${options.model}) failed after ${count}: ${failure.message}`,
              failure.reason,
              tries,
              streamed,
            );
          }
          const delayMs = failure.retryAfterMs ?? backoffDelay(tries - 1, retryBaseMs, retryMaxMs);
          options.log.warn(
            { attempt: tries, delay_ms: delayMs, reason: failure.reason, detail: failure.message },
            "chat completion failed before the first token, retrying",
          );
          await sleep(delayMs, overall).catch((reason: unknown) => {
            if (request.signal?.aborted) throw request.signal.reason;
            throw reason;
          });
        }
      }
    } finally {
      clearTimeout(deadline);
      completion.dispose();
    }
  }

  return {
    kind: "openai-compatible",
    model: options.model,
    stream(request) {
      const slot = holdSlot(options.limiter, options, request.signal);
      return releasingIterable(generate(request, slot.granted), slot.release);
    },
  };
}

/**
 * Deltas as Postgres can store the answer they make up (see `storableText`). A delta ending in the first
 * half of a surrogate pair keeps it back until the next one, which may start with the second half.
 */
function storableDeltas() {
  let held = "";
  return {
    next(content: string): string {
      const text = held + content;
      const last = text.charCodeAt(text.length - 1);
      const split = last >= 0xd800 && last <= 0xdbff;
      held = split ? text.slice(-1) : "";
      return storableText(split ? text.slice(0, -1) : text);
    },
    end(): string {
      return storableText(held);
    },
  };
}

/**
 * The slot is taken by `stream()` itself, so it must be freed even when the caller never iterates and
 * only calls `return()` (which does not run a generator that has not started).
 */
function releasingIterable(
  events: AsyncGenerator<CompletionEvent, void, undefined>,
  release: () => void,
): AsyncIterable<CompletionEvent> {
  const iterator: AsyncIterator<CompletionEvent, void, undefined> = {
    async next() {
      try {
        const result = await events.next();
        if (result.done) release();
        return result;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return() {
      release();
      return events.return(undefined);
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** An AbortController that also aborts when `parent` does; `dispose` unhooks it from the parent. */
function childController(parent?: AbortSignal): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  if (!parent) return { controller, dispose: () => {} };
  const abort = () => controller.abort(parent.reason);
  if (parent.aborted) abort();
  else parent.addEventListener("abort", abort, { once: true });
  return { controller, dispose: () => parent.removeEventListener("abort", abort) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
