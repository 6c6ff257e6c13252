import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";

/**
 * Sets the name and tags of a document still `uploading`: a multipart upload may send its fields after
 * the file, when the row already exists under a provisional name. Validate both before calling.
 */
export async function setUploadDetails(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  details: { name: string; tags: string[] },
): Promise<void> {
  await db
    .updateTable("documents")
    .set({ name: details.name, tags: details.tags, updated_at: new Date() })
    .where("id", "=", id)
    .where("tenant_id", "=", scope.tenantId)
    .where("status", "=", "uploading")
    .execute();
}
