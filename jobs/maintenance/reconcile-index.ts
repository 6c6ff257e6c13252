import type { ContentDeps } from "../../shared/content-deps.ts";
import { documentJobKey } from "../../shared/queue/catalog.ts";
import { enqueue } from "../../shared/queue/enqueue.ts";
import { pointId } from "../../shared/vectors/index.ts";

/**
 * Brings the vector index back in line with Postgres, tenant by tenant, for the active model: points no
 * ready chunk accounts for are deleted; ready documents missing points are sent back to `ingest:index`.
 */
export async function reconcileIndex(deps: ContentDeps) {
  const model = deps.embedder.model;
  const tenants = await deps.db.selectFrom("tenants").select("id").execute();
  let orphansDeleted = 0;
  let documentsReindexed = 0;
  for (const { id: tenantId } of tenants) {
    const chunks = await deps.db
      .selectFrom("chunks as c")
      .innerJoin("documents as d", "d.id", "c.document_id")
      .select(["c.document_id", "c.idx"])
      .where("d.tenant_id", "=", tenantId)
      .where("d.status", "in", ["ready", "indexing"])
      .where("d.embedding_model", "=", model)
      .execute();
    const expected = new Map(chunks.map((c) => [pointId(c.document_id, c.idx, model), c.document_id]));
    const actual = new Set(await deps.vectorIndex.listPointIds(model, { tenantId }).catch(() => []));
    const orphans = [...actual].filter((id) => !expected.has(id));
    if (orphans.length > 0) await deps.vectorIndex.deletePoints(model, orphans);
    orphansDeleted += orphans.length;
    const incomplete = new Set(
      [...expected].filter(([id]) => !actual.has(id)).map(([, documentId]) => documentId),
    );
    for (const documentId of incomplete) {
      const moved = await deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable("documents")
          .set({ status: "indexing", updated_at: new Date() })
          .where("id", "=", documentId)
          .where("status", "=", "ready")
          .returning("id")
          .executeTakeFirst();
        if (row) {
          await enqueue(
            trx,
            "ingest:index",
            { documentId, tenantId },
            { jobKey: documentJobKey(documentId), maxAttempts: deps.config.INGEST_MAX_ATTEMPTS },
          );
        }
        return row !== undefined;
      });
      if (moved) documentsReindexed += 1;
    }
  }
  return { orphansDeleted, documentsReindexed };
}
