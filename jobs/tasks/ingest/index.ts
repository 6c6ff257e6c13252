import type { Document } from "../../../db/types.ts";
import type { Deps } from "../../../shared/deps.ts";
import { completeStage } from "../../../shared/documents/stages.ts";
import { bytesToVector } from "../../../shared/embeddings/vector-bytes.ts";
import { pointId, type VectorPoint } from "../../../shared/vectors/index.ts";
import { defineTask } from "../../define-task.ts";
import { runStage } from "./run-stage.ts";

const UPSERT_BATCH = 256;
/** Payload schema version: bump when the payload's fields change, so reconciliation can rewrite points. */
const PAYLOAD_VERSION = 1;

async function loadPoints(deps: Deps, document: Document, model: string): Promise<VectorPoint[]> {
  const rows = await deps.db
    .selectFrom("chunks as c")
    .innerJoin("embeddings as e", (join) =>
      join.onRef("e.content_hash", "=", "c.content_hash").on("e.model", "=", model),
    )
    .select(["c.id", "c.idx", "c.content_hash", "c.page", "e.vector"])
    .where("c.document_id", "=", document.id)
    .orderBy("c.idx")
    .execute();
  const updatedAt = new Date().toISOString();
  return rows.map((row) => ({
    id: pointId(document.id, row.idx, model),
    tenantId: document.tenant_id,
    documentId: document.id,
    contentHash: row.content_hash,
    vector: bytesToVector(row.vector),
    payload: {
      chunk_id: row.id,
      idx: row.idx,
      tags: document.tags,
      page: row.page,
      mime: document.source_mime,
      model,
      version: PAYLOAD_VERSION,
      updated_at: updatedAt,
    },
  }));
}

/**
 * Upserts one point per chunk (deterministic ids), removes points of chunks that no longer exist, and
 * marks the document ready only when the index holds exactly its chunks.
 */
export function indexTask(deps: Deps) {
  return defineTask(deps, "ingest:index", (payload, helpers) =>
    runStage(deps, "index", payload, helpers, async (document) => {
      const model = deps.embedder.model;
      const chunkCount = await deps.db
        .selectFrom("chunks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("document_id", "=", document.id)
        .executeTakeFirstOrThrow();
      const points = await loadPoints(deps, document, model);
      if (points.length !== Number(chunkCount.n)) {
        throw new Error(
          `${Number(chunkCount.n) - points.length} chunks have no ${model} vector; retry from embed`,
        );
      }
      const scope = { tenantId: document.tenant_id, documentId: document.id };
      const first = points[0];
      if (first?.vector) await deps.vectorIndex.ensureCollection(model, first.vector.length);
      for (let start = 0; start < points.length; start += UPSERT_BATCH) {
        await deps.vectorIndex.upsert(model, points.slice(start, start + UPSERT_BATCH));
      }
      const wanted = new Set(points.map((point) => point.id));
      const stale = (await deps.vectorIndex.listPointIds(model, scope)).filter((id) => !wanted.has(id));
      if (stale.length > 0) await deps.vectorIndex.deletePoints(model, stale);
      const indexed = await deps.vectorIndex.count(model, scope);
      if (indexed !== points.length)
        throw new Error(`index holds ${indexed} points for ${points.length} chunks`);
      if (document.embedding_model && document.embedding_model !== model) {
        await deps.vectorIndex.deleteByFilter(document.embedding_model, scope).catch((error: unknown) => {
          deps.log.warn(
            { err: error, document_id: document.id },
            "could not remove points of the previous model",
          );
        });
      }
      await completeStage(deps.db, document, "index", deps.config.INGEST_MAX_ATTEMPTS, undefined, {
        embedding_model: model,
      });
    }),
  );
}
