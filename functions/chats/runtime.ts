import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AnswerDeps, RagOptions } from "../../shared/chat/answer.ts";
import { chatRetriever } from "../../shared/chat/retriever.ts";
import { contentDeps } from "../../shared/content-deps.ts";
import { ApiError } from "../../shared/errors.ts";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { requestLog } from "../../shared/http/request-context.ts";
import type { RateLimitRule } from "../../shared/rate-limit/middleware.ts";
import type { RagParamsSchema } from "./schemas.ts";

/** State shared by the chat routes of one app: the heartbeat period. */
export interface ChatsRuntime {
  heartbeatMs: number;
}

/** Posting a question (to a chat or to /v1/chat/completions) counts against the user's chat budget. */
export const CHAT_RATE_LIMIT: RateLimitRule = {
  name: "chat",
  policy: (config) => config.RATE_LIMIT_CHAT,
  key: (c) => c.get("principal").userId,
};

export function answerDeps(c: Context<AppEnv>): AnswerDeps {
  const deps = contentDeps(c);
  return {
    db: deps.db,
    llm: deps.llm,
    config: deps.config,
    log: requestLog(c),
    retrieve: chatRetriever(deps),
  };
}

/** 413 for a question over CHAT_CONTENT_MAX_CHARS (a body over BODY_LIMIT_BYTES never gets here). */
export function checkContentLength(c: Context<AppEnv>, text: string): void {
  const max = contentDeps(c).config.CHAT_CONTENT_MAX_CHARS;
  if (text.length > max) {
    throw new ApiError("payload_too_large", `content is longer than ${max} characters`, {
      field: "content",
      limit_chars: max,
    });
  }
}

export function ragOptions(
  useRag: boolean,
  params: z.output<typeof RagParamsSchema> | undefined,
): RagOptions | null {
  if (!useRag) return null;
  const docIds = params?.doc_id;
  return {
    top_k: params?.top_k ?? 5,
    mode: params?.mode ?? "hybrid",
    ...(docIds ? { doc_id: Array.isArray(docIds) ? docIds : [docIds] } : {}),
    ...(params?.tags ? { tags: params.tags } : {}),
    ...(params?.min_score === undefined ? {} : { min_score: params.min_score }),
  };
}

/** The envelope of an error event, with extra details (the message it concerns). */
export function errorEvent(error: ApiError, requestId: string, extra: Record<string, unknown> = {}) {
  return {
    error: { code: error.code, message: error.message, details: { ...error.details, ...extra } },
    request_id: requestId,
  };
}
