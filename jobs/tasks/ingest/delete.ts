import { blobPrefix } from "../../../shared/blob/index.ts";
import { invalidateAnswersForDocument } from "../../../shared/chat/answer-cache.ts";
import type { ContentDeps } from "../../../shared/content-deps.ts";
import { defineTask } from "../../define-task.ts";

/**
 * Removes a `deleting` document: its points in every collection it may be in, its blobs, then the row
 * (chunks go with it). Each step is idempotent, so a retry after a crash converges.
 */
export function deleteTask(deps: ContentDeps) {
  return defineTask(deps, "ingest:delete", async ({ documentId, tenantId }) => {
    const document = await deps.db
      .selectFrom("documents")
      .selectAll()
      .where("id", "=", documentId)
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    if (document?.status !== "deleting") return;
    // Before the row goes, so a retry after a crash still finds the document and gets here again.
    await invalidateAnswersForDocument(deps.db, documentId);
    const scope = { tenantId, documentId };
    for (const model of new Set([deps.embedder.model, document.embedding_model].filter((m) => m !== null))) {
      await deps.vectorIndex.deleteByFilter(model, scope);
    }
    await deps.blobStore.deletePrefix(blobPrefix(tenantId, "uploads", documentId));
    await deps.blobStore.deletePrefix(blobPrefix(tenantId, "canonical", documentId));
    await deps.db
      .deleteFrom("documents")
      .where("id", "=", documentId)
      .where("status", "=", "deleting")
      .execute();
    deps.log.info({ document_id: documentId }, "document deleted");
  });
}
