import { randomUUID } from "node:crypto";
import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import {
  type AnswerOutcome,
  endingError,
  type PreparedAnswer,
  prepareAnswer,
} from "../../../shared/chat/answer.ts";
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
import type { LlmMessage } from "../../../shared/llm/port.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import {
  answerDeps,
  CHAT_RATE_LIMIT,
  type ChatsRuntime,
  checkContentLength,
  errorEvent,
  ragOptions,
} from "../runtime.ts";
import { answerErrors, CompletionRequestSchema, CompletionSchema } from "../schemas.ts";
import { clientGone, type SseSender, sseResponse } from "../sse.ts";

const route = createRoute({
  method: "post",
  path: "/v1/chat/completions",
  tags: ["openai"],
  summary: "OpenAI-compatible chat completion over the caller's documents",
  description: [
    "Authenticate with a Quarry access or personal token as the API key (Bearer). The last message must be",
    "the user's question; earlier user/assistant messages are the history, system messages add to Quarry's",
    "system prompt. Retrieval runs over the caller's tenant (extension field `quarry`: {use_rag, rag_params});",
    "the answer carries the cited sources in the extra field `citations` (on the last chunk when streaming).",
    "Nothing is stored. `model` is accepted and ignored.",
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("reader"), rateLimit(CHAT_RATE_LIMIT)] as const,
  request: { body: jsonBody(CompletionRequestSchema) },
  responses: {
    200: {
      description: "chat.completion (JSON), or chat.completion.chunk events ending with data: [DONE]",
      content: {
        "application/json": { schema: CompletionSchema },
        "text/event-stream": { schema: { type: "string" as const } },
      },
    },
    ...errorResponses(422),
    ...protectedErrors,
    ...answerErrors,
  },
});

type CompletionRequest = z.output<typeof CompletionRequestSchema>;
type RequestMessage = CompletionRequest["messages"][number];

function textOf(message: RequestMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (content === null) return "";
  return content
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("\n");
}

/** The question (the last message, a user's), the earlier turns, and the client's system instructions. */
function conversation(c: Context<AppEnv>, messages: RequestMessage[]) {
  const last = messages.at(-1);
  const question = last ? textOf(last) : "";
  if (last?.role !== "user" || question.trim() === "") {
    throw new ApiError("validation_failed", "the last message must be the user's question, not empty", {
      issues: [{ path: "messages", message: "the last message must have role user and text content" }],
    });
  }
  const history: LlmMessage[] = [];
  const system: string[] = [];
  for (const message of messages.slice(0, -1)) {
    const text = textOf(message);
    checkContentLength(c, text);
    if (message.role === "system" || message.role === "developer") system.push(text);
    else if ((message.role === "user" || message.role === "assistant") && text !== "") {
      history.push({ role: message.role, content: text });
    }
  }
  checkContentLength(c, question);
  return { question, history, clientSystem: system.length > 0 ? system.join("\n\n") : undefined };
}

interface Completion {
  id: string;
  created: number;
  model: string;
}

function chunk(
  completion: Completion,
  choice: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) {
  return {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    choices: choice,
    ...extra,
  };
}

function openAiUsage(outcome: AnswerOutcome) {
  return {
    prompt_tokens: outcome.usage.tokens_in,
    completion_tokens: outcome.usage.tokens_out,
    total_tokens: outcome.usage.tokens_in + outcome.usage.tokens_out,
  };
}

async function streamCompletion(
  c: Context<AppEnv>,
  answer: PreparedAnswer,
  completion: Completion,
  includeUsage: boolean,
  sender: SseSender,
): Promise<void> {
  try {
    await sender.send(
      null,
      chunk(completion, [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
    );
    const events = answer.run();
    let next = await events.next();
    while (!next.done) {
      const event = next.value;
      if (event.type === "token") {
        await sender.send(
          null,
          chunk(completion, [{ index: 0, delta: { content: event.delta }, finish_reason: null }]),
        );
      }
      next = await events.next();
    }
    const outcome = next.value;
    const error = endingError(outcome);
    if (error) {
      await sender.send(null, errorEvent(error, c.get("requestId")));
      return;
    }
    if (outcome.status === "interrupted") return;
    await sender.send(
      null,
      chunk(completion, [{ index: 0, delta: {}, finish_reason: outcome.finishReason ?? "stop" }], {
        citations: outcome.citations,
      }),
    );
    if (includeUsage) await sender.send(null, chunk(completion, [], { usage: openAiUsage(outcome) }));
    await sender.send(null, "[DONE]");
  } catch (error) {
    requestLog(c).error({ err: error }, "completion stream failed");
    await sender.send(null, errorEvent(new ApiError("internal", "internal error"), c.get("requestId")));
  }
}

export function completionRoutes(runtime: ChatsRuntime): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const deps = contentDeps(c);
    const body = c.req.valid("json");
    const scope = scopeOf(c.get("principal"));
    const { question, history, clientSystem } = conversation(c, body.messages);
    const gone = clientGone(c);
    const releaseStream = body.stream
      ? await deps.streamLimiter.acquire(scope.userId, deps.config.CHAT_MAX_STREAMS_PER_USER)
      : () => {};
    let answer: PreparedAnswer;
    try {
      answer = await prepareAnswer(answerDeps(c), scope, {
        question,
        history,
        clientSystem,
        rag: ragOptions(body.quarry?.use_rag ?? true, body.quarry?.rag_params),
        temperature: body.temperature ?? undefined,
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
        signal: gone.signal,
      });
    } catch (error) {
      releaseStream();
      throw error;
    }
    const completion = {
      id: `chatcmpl-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: answer.model,
    };

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      return sseResponse(c, { heartbeatMs: runtime.heartbeatMs, gone, onClose: releaseStream }, (sender) =>
        streamCompletion(c, answer, completion, includeUsage, sender),
      );
    }
    const events = answer.run();
    let next = await events.next();
    while (!next.done) next = await events.next();
    const outcome = next.value;
    const error = endingError(outcome);
    if (error) throw error;
    return c.json(
      {
        ...completion,
        object: "chat.completion" as const,
        choices: [
          {
            index: 0,
            message: { role: "assistant" as const, content: outcome.content, refusal: null },
            finish_reason: outcome.finishReason ?? "stop",
            logprobs: null,
          },
        ],
        usage: openAiUsage(outcome),
        citations: outcome.citations,
      },
      200,
    );
  });
}
