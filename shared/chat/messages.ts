import { type Kysely, sql } from "kysely";
import type { DB, MessageRole, MessageStatus } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { notFound } from "../errors.ts";
import type { LlmMessage } from "../llm/port.ts";
import { cursorTimestamp, decodeCursor, type Page, toPage } from "../pagination/keyset-cursor.ts";
import { chatId } from "./chats.ts";
import type { Citation } from "./citations.ts";

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
 * within the same millisecond.
 */
export async function appendMessage(
  db: Kysely<DB>,
  scope: Scope,
  chatId: string,
  message: NewMessage,
): Promise<MessageRow> {
  return db
    .with("m", (qb) =>
      qb
        .insertInto("chat_messages")
        .values({
          ...(message.id ? { id: message.id } : {}),
          chat_id: chatId,
          tenant_id: scope.tenantId,
          role: message.role,
          content: message.content,
          status: message.status ?? "complete",
          model: message.model ?? null,
          tokens_in: message.tokensIn ?? null,
          tokens_out: message.tokensOut ?? null,
          latency_ms: message.latencyMs ?? null,
          // An array parameter would be sent as a Postgres array, not JSON.
          citations: sql<unknown[]>`${JSON.stringify(message.citations ?? [])}::jsonb`,
          meta: message.meta ?? {},
          created_at: sql<Date>`clock_timestamp()`,
        })
        .returning(MESSAGE_COLUMNS),
    )
    .with("touched", (qb) =>
      qb
        .updateTable("chats")
        .set((eb) => ({
          last_message_at: eb.selectFrom("m").select("created_at"),
          updated_at: sql<Date>`now()`,
        }))
        .where("id", "=", chatId)
        .where("tenant_id", "=", scope.tenantId),
    )
    .selectFrom("m")
    .selectAll()
    .executeTakeFirstOrThrow();
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
  const result = toPage(rows, page.limit);
  return { rows: result.rows.map(({ cursor_ts: _cursor, ...row }) => row), nextCursor: result.nextCursor };
}

/**
 * The conversation so far as prompt messages, oldest first — questions and the answers that reached the
 * user (complete or interrupted; failed ones are left out) — in one query that also checks the chat is
 * the caller's (404 otherwise).
 */
export async function conversationHistory(db: Kysely<DB>, scope: Scope, id: string): Promise<LlmMessage[]> {
  const rows = await db
    .selectFrom("chats as c")
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom("chat_messages as m")
          .select(["m.role", "m.content", "m.created_at", "m.id"])
          .whereRef("m.chat_id", "=", "c.id")
          .where("m.tenant_id", "=", scope.tenantId)
          .where("m.role", "in", ["user", "assistant"])
          .where("m.status", "!=", "failed")
          .where("m.content", "!=", "")
          .orderBy("m.created_at", "desc")
          .orderBy("m.id", "desc")
          .limit(HISTORY_WINDOW)
          .as("h"),
      (join) => join.onTrue(),
    )
    .select(["h.role", "h.content"])
    .where("c.id", "=", chatId(id))
    .where("c.tenant_id", "=", scope.tenantId)
    .where("c.owner_id", "=", scope.userId)
    .orderBy("h.created_at", "asc")
    .orderBy("h.id", "asc")
    .execute();
  if (rows.length === 0) throw notFound("chat");
  return rows.flatMap((row) =>
    row.role === null || row.content === null
      ? []
      : [{ role: row.role === "user" ? ("user" as const) : ("assistant" as const), content: row.content }],
  );
}
