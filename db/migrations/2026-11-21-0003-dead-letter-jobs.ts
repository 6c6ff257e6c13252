import { type Kysely, sql } from "kysely";

/** Jobs that failed for good, copied here by maintenance before they are purged from the queue. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("dead_letter_jobs")
    .addColumn("job_id", "bigint", (c) => c.primaryKey())
    .addColumn("task_identifier", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("job_key", "text")
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("last_error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("failed_at", "timestamptz", (c) => c.notNull())
    .addColumn("moved_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("dead_letter_jobs").execute();
}
