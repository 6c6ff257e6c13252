import type { Kysely } from "kysely";

/** The size a client declares for a presigned upload, which `complete` holds the stored file to. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("documents").addColumn("declared_size_bytes", "bigint").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("documents").dropColumn("declared_size_bytes").execute();
}
