import type { Kysely } from "kysely";
import type { DB, Document } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { type BlobStore, blobPrefix } from "../blob/index.ts";
import type { Logger } from "../logger.ts";
import { discardUpload } from "./upload.ts";

/**
 * Removes an upload that will not be accepted: its `uploading` row, then its blobs (the document's and a
 * signed PUT's). A row that is still there was accepted meanwhile (a concurrent complete) and keeps them.
 * Failures are logged, not thrown: the caller is already answering with the upload's own error, and
 * maintenance expires what is left.
 */
export async function abandonUpload(
  ports: { db: Kysely<DB>; blobStore: BlobStore; log: Logger },
  scope: Scope,
  document: Document,
): Promise<void> {
  try {
    await discardUpload(ports.db, scope, document.id);
    const kept = await ports.db
      .selectFrom("documents")
      .select("id")
      .where("id", "=", document.id)
      .where("tenant_id", "=", scope.tenantId)
      .executeTakeFirst();
    if (!kept) await ports.blobStore.deletePrefix(blobPrefix(scope.tenantId, "uploads", document.id));
  } catch (error) {
    ports.log.warn({ err: error, document_id: document.id }, "could not clean up an abandoned upload");
  }
}
