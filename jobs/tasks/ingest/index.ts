import type { Document } from "../../../db/types.ts";
import type { ContentDeps } from "../../../shared/content-deps.ts";
import { completeStage, deletedMeanwhile } from "../../../shared/documents/stages.ts";
import { bytesToVector } from "../../../shared/embeddings/vector-bytes.ts";
import { pointId, type VectorPoint } from "../../../shared/vectors/index.ts";
import { defineTask } from "../../define-task.ts";
import { runStage } from "./run-stage.ts";

const UPSERT_BATCH = 256;
/** Payload schema version: bump when the payload's fields change, so reconciliation can rewrite points. */
const PAYLOAD_VERSION = 1;

interface LoadedPoints {
  points: VectorPoint[];
  /** The size of the model's vectors; null when no chunk has one. */
  dims: number | null;
  /** Chunks that have no vector of the model. */
  unembedded: number;
}

/** One point per chunk that has a vector, carrying the vector only when the index needs it. */
async function loadPoints(deps: ContentDeps, document: Document, model: string): Promise<LoadedPoints> {
  const rows = await deps.db
    .selectFrom("chunks as c")
    .leftJoin("embeddings as e", (join) =>
      join.onRef("e.content_hash", "=", "c.content_hash").on("e.model", "=", model),
    )
    .select(["c.id", "c.idx", "c.content_hash", "c.page", "e.dims"])
    .$if(deps.vectorIndex.needsVectors, (query) => query.select("e.vector"))
    .where("c.document_id", "=", document.id)
    .orderBy("c.idx")
    .execute();
  const embedded = rows.filter((row) => row.dims !== null);
  const updatedAt = new Date().toISOString();
  const points = embedded.map((row) => ({
    id: pointId(document.id, row.idx, model),
    tenantId: document.tenant_id,
    documentId: document.id,
    contentHash: row.content_hash,
    vector: row.vector ? bytesToVector(row.vector) : undefined,
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
  return { points, dims: embedded[0]?.dims ?? null, unembedded: rows.length - embedded.length };
}

/**
 * Upserts one point per chunk (deterministic ids), removes points of chunks that no longer exist, and
 * marks the document ready only when the index holds exactly its chunks.
 */
export function indexTask(deps: ContentDeps) {
  return defineTask(deps, "ingest:index", (payload, helpers) =>
    runStage(deps, "index", payload, helpers, async (document) => {
      const model = deps.embedder.model;
      const { points, dims, unembedded } = await loadPoints(deps, document, model);
      if (unembedded > 0) throw new Error(`${unembedded} chunks have no ${model} vector; retry from embed`);
      const scope = { tenantId: document.tenant_id, documentId: document.id };
      if (dims !== null) await deps.vectorIndex.ensureCollection(model, dims);
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
      const status = await completeStage(
        deps.db,
        document,
        "index",
        deps.config.INGEST_MAX_ATTEMPTS,
        undefined,
        {
          embedding_model: model,
        },
      );
      if (deletedMeanwhile(status)) await deps.vectorIndex.deleteByFilter(model, scope);
    }),
  );
}
