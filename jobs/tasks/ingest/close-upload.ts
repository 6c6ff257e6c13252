import type { ContentDeps } from "../../../shared/content-deps.ts";
import { signedUploadKey } from "../../../shared/documents/upload.ts";
import { defineTask } from "../../define-task.ts";

/**
 * Runs once a presigned upload's URL has expired, when no PUT can arrive any more: removes what a PUT
 * left at the signed key after the upload was completed, refused or deleted (S3 cannot refuse a PUT to
 * a valid URL). An upload still open is left to `expire-uploads`, which completes or removes it.
 */
export function closeUploadTask(deps: ContentDeps) {
  return defineTask(deps, "ingest:close-upload", async ({ documentId, tenantId }) => {
    const document = await deps.db
      .selectFrom("documents")
      .select("status")
      .where("id", "=", documentId)
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    if (document?.status === "uploading") return;
    await deps.blobStore.delete(signedUploadKey({ tenant_id: tenantId, id: documentId }));
  });
}
