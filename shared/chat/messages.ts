import { type Kysely, sql } from "kysely";
import type { DB, MessageRole, MessageStatus } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { notFound } from "../errors.ts";
import { cursorTimestamp, decodeCursor, type Page, toPage } from "../pagination/keyset-cursor.ts";
import { countTokens } from "../text/tokens.ts";
import { chatId } from "./chats.ts";
import type { Citation } from "./citations.ts";
import type { HistoryMessage } from "./prompt.ts";

export interface MessageRow {
  id: string;
  chat_id: string;
  role: MessageRole;
  content: string;
  model: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
  status: MessageStatus;
  citations: unknown[];
  meta: Record<string, unknown>;
  created_at: Date;
}

const MESSAGE_COLUMNS = [
  "id",
  "chat_id",
  "role",
  "content",
  "model",
  "tokens_in",
  "tokens_out",
  "latency_ms",
  "status",
  "citations",
  "meta",
  "created_at",
] as const;
const RETURNED_COLUMNS = sql.raw(MESSAGE_COLUMNS.join(", "));

/** Messages the prompt may look back on, newest first, before trimming to the token budget. */
const HISTORY_WINDOW = 100;

export interface NewMessage {
  /** Given when the id was announced before the row exists (the SSE `meta` event). */
  id?: string;
  role: MessageRole;
  content: string;
  status?: MessageStatus;
  model?: string | null;
  tokensIn?: number | null;
  tokensOut?: number | null;
  latencyMs?: number | null;
  citations?: Citation[];
  meta?: Record<string, unknown>;
}

/**
 * Appends a message and touches the chat, in one statement (one round trip, atomic). `clock_timestamp()`
 * (not the transaction's `now()`) keeps a question and its answer in order even when they are written
 * within the same millisecond. The content's token count is stored with it for the history budget.
 *
 * This and `conversationHistory` run on every answer: they are SQL text, as building them with the query
 * builder costs ~0.1 ms of CPU each.
 */
export async function appendMessage(
  db: Kysely<DB>,
  scope: Scope,
  chatId: string,
  message: NewMessage,
): Promise<MessageRow> {
  const { rows } = await sql<MessageRow>`
    with m as (
      insert into chat_messages (id, chat_id, tenant_id, role, content, content_tokens, status, model,
        tokens_in, tokens_out, latency_ms, citations, meta, created_at)
      values (coalesce(${message.id ?? null}::uuid, gen_random_uuid()), ${chatId}, ${scope.tenantId},
        ${message.role}, ${message.content}, ${countTokens(message.content)}, ${message.status ?? "complete"},
        ${message.model ?? null}, ${message.tokensIn ?? null}, ${message.tokensOut ?? null},
        ${message.latencyMs ?? null}, ${JSON.stringify(message.citations ?? [])}::jsonb,
        ${JSON.stringify(message.meta ?? {})}::jsonb, clock_timestamp())
      returning ${RETURNED_COLUMNS}
    ), touched as (
      update chats set last_message_at = (select created_at from m), updated_at = now()
      where id = ${chatId} and tenant_id = ${scope.tenantId}
    )
    select * from m`.execute(db);
  const row = rows[0];
  if (!row) throw new Error("the message was not stored");
  return row;
}

/** A chat's messages oldest → newest, keyset-paginated forward (the caller has checked the chat is theirs). */
export async function listMessages(
  db: Kysely<DB>,
  scope: Scope,
  chatId: string,
  page: { cursor?: string; limit: number },
): Promise<Page<MessageRow>> {
  let query = db
    .selectFrom("chat_messages")
    .select(MESSAGE_COLUMNS)
    .select(cursorTimestamp("created_at").as("cursor_ts"))
    .where("chat_id", "=", chatId)
    .where("tenant_id", "=", scope.tenantId);
  if (page.cursor) {
    const after = decodeCursor(page.cursor);
    query = query.where(
      sql<boolean>`(created_at, id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query
    .orderBy("created_at", "asc")
    .orderBy("id", "asc")
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit);
}

/**
 * The conversation so far as prompt messages, oldest first — questions and the answers that reached the
 * user (complete or interrupted; failed ones are left out) — with their stored token counts, in one
 * query that also checks the chat is the caller's (404 otherwise).
 */
export async function conversationHistory(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
): Promise<HistoryMessage[]> {
  const { rows } = await sql<{
    role: MessageRole | null;
    content: string | null;
    content_tokens: number | null;
  }>`
    select h.role, h.content, h.content_tokens
    from chats c
    left join lateral (
      select m.role, m.content, m.content_tokens, m.created_at, m.id
      from chat_messages m
      where m.chat_id = c.id and m.tenant_id = ${scope.tenantId}
        and m.role in ('user', 'assistant') and m.status <> 'failed' and m.content <> ''
      order by m.created_at desc, m.id desc
      limit ${HISTORY_WINDOW}
    ) h on true
    where c.id = ${chatId(id)} and c.tenant_id = ${scope.tenantId} and c.owner_id = ${scope.userId}
    order by h.created_at asc, h.id asc`.execute(db);
  if (rows.length === 0) throw notFound("chat");
  return rows.flatMap((row) =>
    row.role === null || row.content === null
      ? []
      : [
          {
            role: row.role === "user" ? ("user" as const) : ("assistant" as const),
            content: row.content,
            tokens: row.content_tokens,
          },
        ],
  );
}
