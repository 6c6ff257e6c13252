import type { Database } from "../../db/database.ts";
import type { MessageStatus } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import type { Config } from "../config/index.ts";
import { ApiError } from "../errors.ts";
import { wordDeltas } from "../llm/extractive-responder.ts";
import type { CompletionEvent, CompletionUsage, LanguageModel, LlmMessage } from "../llm/port.ts";
import type { Logger } from "../logger.ts";
import { countTokens } from "../text/tokens.ts";
import { answerCacheKey, type CachedAnswer, readCachedAnswer, storeCachedAnswer } from "./answer-cache.ts";
import { answerError, interruption } from "./answer-errors.ts";
import { type Citation, citedSources, numberedCitations } from "./citations.ts";
import {
  assemblePrompt,
  DEFAULT_SYSTEM_PROMPT,
  type HistoryMessage,
  type PromptSource,
  promptTokens,
  promptVersion,
} from "./prompt.ts";
import type { RetrievalParams, Retrieve, RetrievedPassage } from "./retrieval.ts";

export interface AnswerDeps {
  db: Database;
  llm: LanguageModel;
  config: Pick<Config, "CHAT_SYSTEM_PROMPT" | "CHAT_HISTORY_TOKEN_BUDGET" | "ANSWER_CACHE_TTL_SECONDS">;
  log: Logger;
  retrieve: Retrieve;
}

export type RagOptions = Omit<RetrievalParams, "query">;

export interface AnswerRequest {
  question: string;
  /** Earlier turns, oldest first. */
  history: HistoryMessage[];
  /** System instructions given by the client (OpenAI-compatible route). */
  clientSystem?: string;
  /** Retrieval settings; null answers without retrieval. */
  rag: RagOptions | null;
  temperature?: number;
  maxTokens?: number;
  /** The caller went away: the model request is aborted and the answer ends `interrupted`. */
  signal: AbortSignal;
}

export interface AnswerUsage {
  tokens_in: number;
  tokens_out: number;
}

export type AnswerEvent = { type: "token"; delta: string } | { type: "citation"; citation: Citation };

export interface AnswerOutcome {
  status: MessageStatus;
  content: string;
  citations: Citation[];
  usage: AnswerUsage;
  finishReason: string | null;
  latencyMs: number;
  firstTokenMs: number | null;
  /**
   * What the caller is told: why a `failed` answer failed, or why an `interrupted` one was stopped
   * (shutdown); null for a complete answer, or one whose caller left.
   */
  error: ApiError | null;
}

/** The error an answer's caller is told it ended with, or null when it ended well (or its caller left). */
export function endingError(outcome: AnswerOutcome): ApiError | null {
  if (outcome.status === "failed") return outcome.error ?? new ApiError("internal", "internal error");
  return outcome.error;
}

export interface PreparedAnswer {
  model: string;
  cached: boolean;
  /** The numbered sources given to the model (empty without retrieval). */
  retrieval: Citation[];
  /** Streams tokens then citations; returns how the answer ended. */
  run(): AsyncGenerator<AnswerEvent, AnswerOutcome, undefined>;
  /** Frees the model call when `run` will not be called (a later step failed). */
  cancel(): Promise<void>;
}

async function withTexts(db: Database, scope: Scope, passages: RetrievedPassage[]): Promise<PromptSource[]> {
  const missing = passages.filter((p) => p.text === undefined).map((p) => p.chunk_id);
  const texts = new Map<string, string>();
  if (missing.length > 0) {
    const rows = await db
      .selectFrom("chunks")
      .select(["id", "text"])
      .where("id", "in", missing)
      .where("tenant_id", "=", scope.tenantId)
      .execute();
    for (const row of rows) texts.set(row.id, row.text);
  }
  return passages.map((p, i) => ({
    number: i + 1,
    title: p.document_name,
    page: p.page,
    text: p.text ?? texts.get(p.chunk_id) ?? p.snippet,
  }));
}

function counted(prompt: LlmMessage[], content: string, usage: CompletionUsage | null): AnswerUsage {
  return usage
    ? { tokens_in: usage.tokensIn, tokens_out: usage.tokensOut }
    : { tokens_in: promptTokens(prompt), tokens_out: countTokens(content) };
}

/** Streams a stored answer the way the model streamed it. */
async function* replayCached(
  cached: CachedAnswer,
  signal: AbortSignal,
): AsyncGenerator<AnswerEvent, AnswerOutcome, undefined> {
  const started = performance.now();
  const outcome = (status: MessageStatus, content: string): AnswerOutcome => ({
    status,
    content,
    citations: status === "complete" ? cached.citations : [],
    // No model call was made.
    usage: { tokens_in: 0, tokens_out: 0 },
    finishReason: status === "complete" ? cached.finish_reason : null,
    latencyMs: Math.round(performance.now() - started),
    firstTokenMs: 0,
    error: status === "interrupted" ? interruption(signal) : null,
  });
  let content = "";
  for (const delta of wordDeltas(cached.content)) {
    if (signal.aborted) return outcome("interrupted", content);
    content += delta;
    yield { type: "token", delta };
  }
  for (const citation of cached.citations) yield { type: "citation", citation };
  return outcome("complete", cached.content);
}

/**
 * Everything before the first byte of an answer: retrieval, the answer cache, prompt assembly and the
 * model call itself. Throws (404, 503 `overloaded`…) before anything is stored or sent, so the caller
 * can still answer with a status. Shared by `/api/chats/{id}/messages` and `/v1/chat/completions`.
 */
export async function prepareAnswer(
  deps: AnswerDeps,
  scope: Scope,
  request: AnswerRequest,
): Promise<PreparedAnswer> {
  const passages = request.rag ? await deps.retrieve(scope, { query: request.question, ...request.rag }) : [];
  const retrieval = numberedCitations(passages);
  const systemPrompt = deps.config.CHAT_SYSTEM_PROMPT ?? DEFAULT_SYSTEM_PROMPT;
  const ttl = deps.config.ANSWER_CACHE_TTL_SECONDS;
  // Only single-turn questions with sources: history or client instructions change the answer.
  const cacheable =
    request.rag !== null &&
    request.history.length === 0 &&
    !request.clientSystem &&
    ttl > 0 &&
    passages.length > 0;
  const cacheKey = cacheable
    ? answerCacheKey({
        tenantId: scope.tenantId,
        question: request.question,
        model: deps.llm.model,
        promptVersion: promptVersion(systemPrompt),
        chunkIds: passages.map((p) => p.chunk_id),
      })
    : null;
  const cached = cacheKey ? await readCachedAnswer(deps.db, scope, cacheKey) : null;
  if (cached) {
    return {
      model: cached.model,
      cached: true,
      retrieval,
      run: () => replayCached(cached, request.signal),
      cancel: async () => {},
    };
  }

  const sources = request.rag ? await withTexts(deps.db, scope, passages) : null;
  const prompt = assemblePrompt({
    systemPrompt,
    clientSystem: request.clientSystem,
    sources,
    history: request.history,
    question: request.question,
    historyTokenBudget: deps.config.CHAT_HISTORY_TOKEN_BUDGET,
  });
  const canceled = new AbortController();
  const events = deps.llm
    .stream({
      messages: prompt.messages,
      temperature: request.temperature,
      maxTokens: request.maxTokens,
      ...(sources ? { sources: sources.map(({ number, title, text }) => ({ number, title, text })) } : {}),
      signal: AbortSignal.any([request.signal, canceled.signal]),
    })
    [Symbol.asyncIterator]();
  // The model request starts now, so whatever the caller does before streaming (storing the question)
  // overlaps the model's own time to first token. `run` picks this first event up; `cancel` aborts it.
  const started = performance.now();
  let first: Promise<IteratorResult<CompletionEvent, unknown>> | null = events.next();
  first.catch(() => {});

  async function* run(): AsyncGenerator<AnswerEvent, AnswerOutcome, undefined> {
    let content = "";
    let firstTokenMs: number | null = null;
    let finishReason: string | null = null;
    let usage: CompletionUsage | null = null;
    let finished = false;
    const outcome = (status: MessageStatus, error: ApiError | null, citations: Citation[] = []) => ({
      status,
      content,
      citations,
      usage: counted(prompt.messages, content, usage),
      finishReason,
      latencyMs: Math.round(performance.now() - started),
      firstTokenMs,
      error,
    });
    try {
      for (;;) {
        let next: IteratorResult<CompletionEvent, unknown>;
        try {
          next = await (first ?? events.next());
          first = null;
        } catch (error) {
          finished = true;
          if (request.signal.aborted) return outcome("interrupted", interruption(request.signal));
          deps.log.warn({ err: error }, "language model failed while answering");
          return outcome("failed", answerError(error));
        }
        if (next.done) break;
        const event = next.value;
        if (event.type === "done") {
          finishReason = event.finishReason;
          usage = event.usage;
          continue;
        }
        firstTokenMs ??= Math.round(performance.now() - started);
        content += event.text;
        yield { type: "token", delta: event.text };
      }
      finished = true;
    } finally {
      if (!finished) await events.return?.();
    }
    const citations = request.rag ? citedSources(content, retrieval) : [];
    for (const citation of citations) yield { type: "citation", citation };
    const result = outcome("complete", null, citations);
    // A cut-off answer (`length`) is not worth keeping: a later question may allow a longer one.
    if (cacheKey && finishReason === "stop" && content.trim() !== "") {
      await storeCachedAnswer(deps.db, scope, {
        key: cacheKey,
        documentIds: passages.map((p) => p.document_id),
        answer: {
          content,
          citations,
          model: deps.llm.model,
          finish_reason: finishReason,
          usage: result.usage,
        },
        ttlSeconds: ttl,
      }).catch((error: unknown) => deps.log.warn({ err: error }, "could not store the answer in the cache"));
    }
    return result;
  }

  return {
    model: deps.llm.model,
    cached: false,
    retrieval,
    run,
    cancel: async () => {
      canceled.abort(new Error("the answer was canceled"));
      await first?.catch(() => {});
      await events.return?.();
    },
  };
}
