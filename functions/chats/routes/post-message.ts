import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { type AnswerEvent, type AnswerOutcome, endingError } from "../../../shared/chat/answer.ts";
import { type ChatTurn, startChatTurn } from "../../../shared/chat/chat-turn.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { requestLog } from "../../../shared/http/request-context.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import {
  answerDeps,
  CHAT_RATE_LIMIT,
  type ChatsRuntime,
  checkContentLength,
  errorEvent,
  ragOptions,
} from "../runtime.ts";
import {
  AnswerSchema,
  answerErrors,
  ChatIdParamsSchema,
  PostMessageBodySchema,
  SSE_DESCRIPTION,
} from "../schemas.ts";
import { clientGone, type SseSender, sseResponse } from "../sse.ts";

const route = createRoute({
  method: "post",
  path: "/api/chats/{id}/messages",
  tags: ["chats"],
  summary: "Ask a question in a chat",
  description: [
    "Retrieves passages from the tenant's documents (use_rag, rag_params), asks the model with the",
    "conversation so far, and stores both messages. Safe to retry with Idempotency-Key (JSON answers).",
    SSE_DESCRIPTION,
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("reader"), rateLimit(CHAT_RATE_LIMIT)] as const,
  request: { params: ChatIdParamsSchema, body: jsonBody(PostMessageBodySchema) },
  responses: {
    200: {
      description: "The answer (JSON), or its event stream (response_stream: true)",
      content: {
        "application/json": { schema: AnswerSchema },
        "text/event-stream": { schema: { type: "string" as const } },
      },
    },
    ...errorResponses(404, 422),
    ...protectedErrors,
    ...answerErrors,
  },
});

/** Runs the answer to its end, handing each event to `onEvent`. */
async function drain(
  events: AsyncGenerator<AnswerEvent, AnswerOutcome, undefined>,
  onEvent: (event: AnswerEvent) => Promise<void>,
): Promise<AnswerOutcome> {
  for (;;) {
    const next = await events.next();
    if (next.done) return next.value;
    await onEvent(next.value);
  }
}

function jsonAnswer(turn: ChatTurn, outcome: AnswerOutcome, createdAt: Date) {
  return {
    chat_id: turn.chatId,
    message_id: turn.assistantMessageId,
    user_message_id: turn.userMessage.id,
    created_at: createdAt.toISOString(),
    cached: turn.answer.cached,
    assistant_message: {
      role: "assistant" as const,
      content: outcome.content,
      created_at: createdAt.toISOString(),
      status: outcome.status,
      model: turn.answer.model,
      finish_reason: outcome.finishReason,
    },
    usage: outcome.usage,
    rag: { items: outcome.citations },
  };
}

/** The SSE conversation: meta, tokens, citations, then done or error once the message is stored. */
async function streamTurn(c: Context<AppEnv>, turn: ChatTurn, sender: SseSender): Promise<void> {
  const requestId = c.get("requestId");
  const messageId = turn.assistantMessageId;
  try {
    await sender.send("meta", {
      chat_id: turn.chatId,
      message_id: messageId,
      user_message_id: turn.userMessage.id,
      retrieval: turn.answer.retrieval,
      cached: turn.answer.cached,
      model: turn.answer.model,
    });
    const outcome = await drain(turn.answer.run(), (event) =>
      event.type === "token"
        ? sender.send("token", { delta: event.delta })
        : sender.send("citation", event.citation),
    );
    await turn.finish(outcome);
    const error = endingError(outcome);
    if (error) {
      await sender.send("error", errorEvent(error, requestId, { message_id: messageId }));
    } else if (outcome.status === "complete") {
      await sender.send("done", {
        message_id: messageId,
        usage: outcome.usage,
        finish_reason: outcome.finishReason,
        cached: turn.answer.cached,
      });
    }
  } catch (error) {
    // Storing the answer failed, or something else unexpected: the stream still ends with an error.
    requestLog(c).error({ err: error, message_id: messageId }, "chat answer stream failed");
    await sender.send("error", errorEvent(new ApiError("internal", "internal error"), requestId));
  }
}

export function postMessageRoutes(runtime: ChatsRuntime): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const deps = contentDeps(c);
    const body = c.req.valid("json");
    const scope = scopeOf(c.get("principal"));
    checkContentLength(c, body.content);
    const gone = clientGone(c);
    const releaseStream = body.response_stream
      ? await deps.streamLimiter.acquire(scope.userId, deps.config.CHAT_MAX_STREAMS_PER_USER)
      : () => {};
    let turn: ChatTurn;
    try {
      turn = await startChatTurn(answerDeps(c), scope, {
        chatId: c.req.valid("param").id,
        question: body.content,
        rag: ragOptions(body.use_rag, body.rag_params),
        temperature: body.temperature,
        maxTokens: body.max_tokens,
        signal: gone.signal,
      });
    } catch (error) {
      releaseStream();
      throw error;
    }

    if (body.response_stream) {
      return sseResponse(c, { heartbeatMs: runtime.heartbeatMs, gone, onClose: releaseStream }, (sender) =>
        streamTurn(c, turn, sender),
      );
    }
    const answered = drain(turn.answer.run(), async () => {}).then(async (outcome) => ({
      outcome,
      stored: await turn.finish(outcome),
    }));
    deps.openStreams.track(gone, answered);
    const { outcome, stored } = await answered;
    const error = endingError(outcome);
    if (error) {
      throw new ApiError(
        error.code,
        error.message,
        { ...error.details, message_id: stored.id },
        error.headers,
      );
    }
    return c.json(jsonAnswer(turn, outcome, stored.created_at), 200);
  });
}
