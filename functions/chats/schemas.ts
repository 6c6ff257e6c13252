import { z } from "@hono/zod-openapi";
import { cursorQuery, limitQuery, timestampField } from "../../shared/http/openapi-fields.ts";
import { describedError } from "../../shared/http/openapi-responses.ts";

/** What the answering routes add to the defaults: the chat limits and the model's own failures. */
export const answerErrors = {
  ...describedError(413, "Content longer than CHAT_CONTENT_MAX_CHARS (or a body over BODY_LIMIT_BYTES)"),
  ...describedError(
    429,
    "Rate limited (chat policy, Retry-After and RateLimit headers) or too many answers streaming at once",
  ),
  ...describedError(500, "The language model could not answer this request (details.reason)"),
  ...describedError(
    503,
    "overloaded: the model's wait queue is full (Retry-After), or the model server is unavailable (details.reason)",
  ),
};

export const ChatIdParamsSchema = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, description: "Chat id" }),
});

export const ChatSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    created_at: timestampField,
    updated_at: timestampField,
    last_message_at: timestampField.nullable(),
  })
  .openapi("Chat");

export const ChatPageSchema = z
  .object({ items: z.array(ChatSchema), next_cursor: z.string().nullable() })
  .openapi("ChatPage");

export const ChatListQuerySchema = z.object({
  q: z.string().min(1).max(200).optional().openapi({ description: "Case-insensitive part of the name" }),
  cursor: cursorQuery,
  limit: limitQuery(20),
});

const chatName = z.string().trim().min(1).max(200);

export const CreateChatBodySchema = z
  .strictObject({ name: chatName.optional().openapi({ description: "Defaults to “New chat”" }) })
  .openapi("CreateChatRequest");

export const CreatedChatSchema = z
  .object({ chat_id: z.uuid(), name: z.string(), created_at: timestampField })
  .openapi("CreatedChat");

export const RenameChatBodySchema = z.strictObject({ name: chatName }).openapi("RenameChatRequest");

export const CitationSchema = z
  .object({
    number: z.number().int().openapi({ description: "The [n] of the source in the prompt and the answer" }),
    document_id: z.uuid(),
    document_name: z.string(),
    chunk_id: z.uuid(),
    chunk_idx: z.number().int(),
    page: z.number().int().nullable(),
    score: z.number(),
    snippet: z.string().openapi({ description: "HTML-safe, matched terms in <mark>" }),
  })
  .openapi("Citation");

export const MessageSchema = z
  .object({
    id: z.uuid(),
    chat_id: z.uuid(),
    role: z.enum(["system", "user", "assistant", "tool"]),
    content: z.string(),
    status: z.enum(["complete", "interrupted", "failed"]).openapi({
      description: "interrupted: the client left mid-answer (partial text kept); failed: the model failed",
    }),
    model: z.string().nullable(),
    tokens_in: z.number().int().nullable(),
    tokens_out: z.number().int().nullable(),
    latency_ms: z.number().int().nullable(),
    citations: z.array(CitationSchema),
    meta: z.record(z.string(), z.unknown()).openapi({
      description: "cached, finish_reason, first_token_ms, use_rag, and error for a failed answer",
    }),
    created_at: timestampField,
  })
  .openapi("ChatMessage");

export const MessagePageSchema = z
  .object({ items: z.array(MessageSchema), next_cursor: z.string().nullable() })
  .openapi("ChatMessagePage");

export const MessageListQuerySchema = z.object({
  cursor: cursorQuery,
  limit: limitQuery(50),
});

export const RagParamsSchema = z
  .strictObject({
    top_k: z.number().int().min(1).max(20).default(5),
    mode: z.enum(["hybrid", "vector", "lexical"]).default("hybrid"),
    doc_id: z
      .union([z.uuid(), z.array(z.uuid()).min(1).max(100)])
      .optional()
      .openapi({ description: "Only this document (or these)" }),
    tags: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(32)
      .optional()
      .openapi({ description: "Only documents carrying one of these tags" }),
    min_score: z.number().min(-1).max(1).optional(),
  })
  .openapi("RagParams");

export const PostMessageBodySchema = z
  .strictObject({
    content: z
      .string()
      .refine((text) => text.trim() !== "", "must not be empty")
      .openapi({ description: "The question; at most CHAT_CONTENT_MAX_CHARS characters (413 above)" }),
    use_rag: z.boolean().default(true),
    rag_params: RagParamsSchema.optional(),
    response_stream: z.boolean().default(false).openapi({
      description: "true: answer as text/event-stream (events meta, token, citation, done, error)",
    }),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(65_536).optional(),
  })
  .openapi("PostMessageRequest");

const UsageSchema = z.object({ tokens_in: z.number().int(), tokens_out: z.number().int() }).openapi("Usage");

export const AnswerSchema = z
  .object({
    chat_id: z.uuid(),
    message_id: z.uuid().openapi({ description: "The assistant message" }),
    user_message_id: z.uuid(),
    created_at: timestampField,
    cached: z.boolean().openapi({ description: "Served from the answer cache" }),
    assistant_message: z.object({
      role: z.literal("assistant"),
      content: z.string(),
      created_at: timestampField,
      status: z.enum(["complete", "interrupted", "failed"]),
      model: z.string(),
      finish_reason: z.string().nullable(),
    }),
    usage: UsageSchema,
    rag: z.object({
      items: z.array(CitationSchema).openapi({ description: "The sources the answer cites" }),
    }),
  })
  .openapi("ChatAnswer");

export const SSE_DESCRIPTION = [
  "With response_stream: true, a text/event-stream with X-Request-ID: `meta` {chat_id, message_id,",
  "user_message_id, retrieval:[Citation], cached, model}, then `token` {delta} events, then one `citation`",
  "(a Citation) per cited source, then `done` {message_id, usage, finish_reason, cached}; or `error` (the",
  "error envelope, details.message_id) when the model fails. A `: ping` comment every 15 s.",
].join(" ");

const contentPart = z.object({ type: z.string(), text: z.string().optional() }).loose();

export const CompletionRequestSchema = z
  .object({
    model: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "Accepted and ignored: Quarry's model answers" }),
    messages: z
      .array(
        z
          .object({
            role: z.enum(["system", "developer", "user", "assistant", "tool"]),
            content: z.union([z.string(), z.array(contentPart), z.null()]),
          })
          .loose(),
      )
      .min(1)
      .max(1000),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    max_tokens: z.number().int().min(1).max(65_536).nullish(),
    max_completion_tokens: z.number().int().min(1).max(65_536).nullish(),
    quarry: z
      .strictObject({
        use_rag: z.boolean().default(true),
        rag_params: RagParamsSchema.optional(),
      })
      .optional()
      .openapi({ description: "Quarry's extension: retrieval settings (default: hybrid, top 5)" }),
  })
  .loose()
  .openapi("ChatCompletionRequest");

export const CompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal("assistant"), content: z.string(), refusal: z.null() }),
        finish_reason: z.string(),
        logprobs: z.null(),
      }),
    ),
    usage: z.object({
      prompt_tokens: z.number().int(),
      completion_tokens: z.number().int(),
      total_tokens: z.number().int(),
    }),
    citations: z
      .array(CitationSchema)
      .openapi({ description: "Quarry's extra field: the sources the answer cites" }),
  })
  .openapi("ChatCompletion");

export const ModelListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal("model"),
        created: z.number().int(),
        owned_by: z.string(),
      }),
    ),
  })
  .openapi("ModelList");
