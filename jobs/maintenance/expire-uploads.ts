import type { Role } from "../../db/types.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";
import { completeSignedUpload } from "../../shared/documents/complete-upload.ts";
import { discardUpload } from "../../shared/documents/upload.ts";

/**
 * Uploads past their deadline: completed when the bytes arrived (the client never called `complete`),
 * otherwise removed with any partial blob. Refused uploads (empty, too large) are removed too.
 */
export async function expireUploads(deps: ContentDeps) {
  const due = await deps.db
    .selectFrom("documents")
    .selectAll()
    .where("status", "=", "uploading")
    .where("upload_expires_at", "<", new Date())
    .limit(500)
    .execute();
  let completed = 0;
  let expired = 0;
  for (const document of due) {
    const scope = {
      tenantId: document.tenant_id,
      userId: document.uploaded_by ?? "",
      role: "editor" as Role,
    };
    const arrived = await deps.blobStore.head(document.blob_key);
    if (!arrived) {
      await discardUpload(deps.db, scope, document.id);
      expired += 1;
      continue;
    }
    try {
      await completeSignedUpload(deps, scope, document, {
        maxBytes: deps.config.UPLOAD_LIMIT_BYTES,
        maxAttempts: deps.config.INGEST_MAX_ATTEMPTS,
      });
      completed += 1;
    } catch (error) {
      deps.log.info({ err: error, document_id: document.id }, "expired upload refused");
      expired += 1;
    }
  }
  return { completed, expired };
}
