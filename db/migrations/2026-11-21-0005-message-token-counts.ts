import type { Kysely } from "kysely";

/**
 * Each message's own token count, stored when it is written, so that fitting the conversation into
 * the history budget reads counts instead of running the tokenizer over it on every question. Rows
 * written before have none and are counted when read.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("chat_messages").addColumn("content_tokens", "integer").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("chat_messages").dropColumn("content_tokens").execute();
}
