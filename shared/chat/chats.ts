import type { Kysely } from "kysely";
import { containsPattern } from "../../db/contains-pattern.ts";
import type { DB } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { notFound } from "../errors.ts";
import { newestFirstPage, type Page } from "../pagination/keyset-cursor.ts";

const DEFAULT_CHAT_NAME = "New chat";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id names no chat: it is a 404 like any unknown one. */
export function chatId(id: string): string {
  if (!UUID.test(id)) throw notFound("chat");
  return id;
}

const CHAT_COLUMNS = ["id", "name", "created_at", "updated_at", "last_message_at"] as const;

export interface ChatRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  last_message_at: Date | null;
}

/** Chats are private: every query is scoped by tenant and owner, so another user's chat is not found. */
export async function getChat(db: Kysely<DB>, scope: Scope, id: string): Promise<ChatRow> {
  const chat = await db
    .selectFrom("chats")
    .select(CHAT_COLUMNS)
    .where("id", "=", chatId(id))
    .where("tenant_id", "=", scope.tenantId)
    .where("owner_id", "=", scope.userId)
    .executeTakeFirst();
  if (!chat) throw notFound("chat");
  return chat;
}

export async function createChat(db: Kysely<DB>, scope: Scope, input: { name?: string }): Promise<ChatRow> {
  return db
    .insertInto("chats")
    .values({ tenant_id: scope.tenantId, owner_id: scope.userId, name: input.name ?? DEFAULT_CHAT_NAME })
    .returning(CHAT_COLUMNS)
    .executeTakeFirstOrThrow();
}

export interface ChatListFilter {
  /** Case-insensitive part of the name. */
  q?: string;
  cursor?: string;
  limit: number;
}

/** The caller's chats, newest first, keyset-paginated. */
export async function listChats(
  db: Kysely<DB>,
  scope: Scope,
  filter: ChatListFilter,
): Promise<Page<ChatRow>> {
  let query = db
    .selectFrom("chats")
    .select(CHAT_COLUMNS)
    .where("tenant_id", "=", scope.tenantId)
    .where("owner_id", "=", scope.userId);
  if (filter.q) query = query.where("name", "ilike", containsPattern(filter.q));
  return newestFirstPage(query, filter);
}

export async function renameChat(db: Kysely<DB>, scope: Scope, id: string, name: string): Promise<ChatRow> {
  const chat = await db
    .updateTable("chats")
    .set({ name, updated_at: new Date() })
    .where("id", "=", chatId(id))
    .where("tenant_id", "=", scope.tenantId)
    .where("owner_id", "=", scope.userId)
    .returning(CHAT_COLUMNS)
    .executeTakeFirst();
  if (!chat) throw notFound("chat");
  return chat;
}

/** Deletes the chat and its messages (cascade). */
export async function deleteChat(db: Kysely<DB>, scope: Scope, id: string): Promise<void> {
  const deleted = await db
    .deleteFrom("chats")
    .where("id", "=", chatId(id))
    .where("tenant_id", "=", scope.tenantId)
    .where("owner_id", "=", scope.userId)
    .executeTakeFirst();
  if (deleted.numDeletedRows === 0n) throw notFound("chat");
}
