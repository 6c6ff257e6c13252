import { type Kysely, sql } from "kysely";

/** Documents, their chunks, the embedding store of record, and the embedded vector index's points. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("documents")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("source_mime", "text")
    .addColumn("size_bytes", "bigint")
    .addColumn("content_hash", "text")
    .addColumn("tags", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("blob_key", "text", (c) => c.notNull())
    .addColumn("canonical_key", "text")
    .addColumn("uploaded_by", "uuid")
    .addColumn("error", "text")
    .addColumn("stage_timestamps", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("embedding_model", "text")
    .addColumn("upload_expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      "documents_status_check",
      sql`status in ('uploading','queued','extracting','chunking','embedding','indexing','ready','failed','canceled','deleting')`,
    )
    .execute();
  await db.schema
    .createIndex("documents_tenant_created_idx")
    .on("documents")
    .columns(["tenant_id", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("documents_tenant_status_idx")
    .on("documents")
    .columns(["tenant_id", "status"])
    .execute();
  await db.schema.createIndex("documents_tags_idx").on("documents").using("gin").column("tags").execute();
  // One live document per content in a tenant: a duplicate upload is reported, not stored twice.
  await sql`create unique index documents_tenant_content_uniq on documents (tenant_id, content_hash)
    where content_hash is not null and status not in ('deleting', 'canceled', 'failed')`.execute(db);

  await db.schema
    .createTable("chunks")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("document_id", "uuid", (c) => c.notNull().references("documents.id").onDelete("cascade"))
    .addColumn("tenant_id", "uuid", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("content_hash", "text", (c) => c.notNull())
    .addColumn("token_count", "integer", (c) => c.notNull())
    .addColumn("page", "integer")
    .addColumn("meta", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("language", sql`regconfig`, (c) => c.notNull().defaultTo(sql`'simple'::regconfig`))
    .addColumn("tsv", sql`tsvector`, (c) => c.generatedAlwaysAs(sql`to_tsvector(language, text)`).stored())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("chunks_document_idx_uniq", ["document_id", "idx"])
    .execute();
  await db.schema.createIndex("chunks_tsv_idx").on("chunks").using("gin").column("tsv").execute();
  await db.schema.createIndex("chunks_tenant_idx").on("chunks").column("tenant_id").execute();

  await db.schema
    .createTable("embeddings")
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("content_hash", "text", (c) => c.notNull())
    .addColumn("dims", "integer", (c) => c.notNull())
    .addColumn("vector", "bytea", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("embeddings_pk", ["model", "content_hash"])
    .execute();

  // The embedded vector index: points reference vectors in `embeddings`, nothing is stored twice.
  await db.schema
    .createTable("vector_points")
    .addColumn("collection", "text", (c) => c.notNull())
    .addColumn("id", "uuid", (c) => c.notNull())
    .addColumn("tenant_id", "uuid", (c) => c.notNull())
    .addColumn("document_id", "uuid", (c) => c.notNull())
    .addColumn("content_hash", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addPrimaryKeyConstraint("vector_points_pk", ["collection", "id"])
    .execute();
  await db.schema
    .createIndex("vector_points_tenant_idx")
    .on("vector_points")
    .columns(["collection", "tenant_id", "document_id"])
    .execute();
  // Bumped with every change to a tenant's points, so in-memory copies know when to reload.
  await db.schema
    .createTable("vector_index_versions")
    .addColumn("collection", "text", (c) => c.notNull())
    .addColumn("tenant_id", "uuid", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("vector_index_versions_pk", ["collection", "tenant_id"])
    .execute();
  await db.schema
    .createTable("vector_aliases")
    .addColumn("alias", "text", (c) => c.primaryKey())
    .addColumn("collection", "text", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "vector_aliases",
    "vector_index_versions",
    "vector_points",
    "embeddings",
    "chunks",
    "documents",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
