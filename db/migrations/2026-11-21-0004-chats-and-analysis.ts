import { type Kysely, sql } from "kysely";

/** Chats and their messages, the answer cache, analysis jobs, and the per-tenant text-search language. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("chats")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("owner_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_message_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("chats_owner_created_idx")
    .on("chats")
    .columns(["tenant_id", "owner_id", "created_at", "id"])
    .execute();

  await db.schema
    .createTable("chat_messages")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("chat_id", "uuid", (c) => c.notNull().references("chats.id").onDelete("cascade"))
    .addColumn("tenant_id", "uuid", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull().check(sql`role in ('system','user','assistant','tool')`))
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("model", "text")
    .addColumn("tokens_in", "integer")
    .addColumn("tokens_out", "integer")
    .addColumn("latency_ms", "integer")
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("complete").check(sql`status in ('complete','interrupted','failed')`),
    )
    .addColumn("citations", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("meta", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("chat_messages_chat_created_idx")
    .on("chat_messages")
    .columns(["chat_id", "created_at", "id"])
    .execute();

  await db.schema
    .createTable("answer_cache")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "uuid", (c) => c.notNull())
    .addColumn("document_ids", sql`uuid[]`, (c) => c.notNull())
    .addColumn("response", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("answer_cache_documents_idx")
    .on("answer_cache")
    .using("gin")
    .column("document_ids")
    .execute();
  await db.schema.createIndex("answer_cache_expires_idx").on("answer_cache").column("expires_at").execute();

  await db.schema
    .createTable("analysis_jobs")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("status", "text", (c) =>
      c.notNull().check(sql`status in ('queued','running','ready','failed','canceled')`),
    )
    .addColumn("source", "jsonb", (c) => c.notNull())
    .addColumn("blob_key", "text")
    .addColumn("params", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("progress", "real", (c) => c.notNull().defaultTo(0))
    .addColumn("result", "jsonb")
    .addColumn("artifact_key", "text")
    .addColumn("error", "text")
    .addColumn("created_by", "uuid")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("analysis_jobs_tenant_created_idx")
    .on("analysis_jobs")
    .columns(["tenant_id", "created_at", "id"])
    .execute();

  // Text-search configuration for a tenant's chunks (`simple` unless set).
  await db.schema.alterTable("tenants").addColumn("text_search_language", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("tenants").dropColumn("text_search_language").execute();
  for (const table of ["analysis_jobs", "answer_cache", "chat_messages", "chats"]) {
    await db.schema.dropTable(table).execute();
  }
}
