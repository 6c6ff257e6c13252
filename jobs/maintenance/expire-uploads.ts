import type { Role } from "../../db/types.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";
import { abandonUpload } from "../../shared/documents/abandon-upload.ts";
import { completeSignedUpload } from "../../shared/documents/complete-upload.ts";
import { ApiError } from "../../shared/errors.ts";

/**
 * Uploads past their deadline: completed when the bytes arrived (the client never called `complete`),
 * otherwise removed with any partial blob. Refused uploads (none arrived, empty, too large, a duplicate)
 * are removed too; one that fails for another reason (storage down) is left for the next run.
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
    try {
      await completeSignedUpload(deps, scope, document, {
        maxBytes: deps.config.UPLOAD_LIMIT_BYTES,
        maxAttempts: deps.config.INGEST_MAX_ATTEMPTS,
      });
      completed += 1;
    } catch (error) {
      if (!(error instanceof ApiError)) {
        deps.log.warn({ err: error, document_id: document.id }, "could not complete an expired upload");
        continue;
      }
      deps.log.info({ reason: error.message, document_id: document.id }, "expired upload removed");
      await abandonUpload(deps, scope, document);
      expired += 1;
    }
  }
  return { completed, expired };
}
