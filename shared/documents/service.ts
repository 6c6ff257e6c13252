import { type Kysely, type RawBuilder, sql } from "kysely";
import { containsPattern } from "../../db/contains-pattern.ts";
import type { DB, Document, DocumentStatus } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { ApiError, notFound } from "../errors.ts";
import { newestFirstPage, type Page } from "../pagination/keyset-cursor.ts";
import { documentJobKey } from "../queue/catalog.ts";
import { enqueue, removePendingJob } from "../queue/enqueue.ts";
import { DOCUMENT_STATUSES, IN_PIPELINE, resumeStage, STAGE_STATUS } from "./status.ts";

/** The tenant's document (404 otherwise); `lock` holds its row until the transaction ends. */
export async function getDocument(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Document> {
  let query = db
    .selectFrom("documents")
    .selectAll()
    .where("id", "=", id)
    .where("tenant_id", "=", scope.tenantId);
  if (options.lock) query = query.forUpdate();
  const document = await query.executeTakeFirst();
  if (!document) throw notFound("document");
  return document;
}

export interface ListFilter {
  status?: DocumentStatus;
  tag?: string;
  /** Case-insensitive substring of the name. */
  q?: string;
  cursor?: string;
  limit: number;
}

/** Newest first, keyset-paginated. */
export async function listDocuments(
  db: Kysely<DB>,
  scope: Scope,
  filter: ListFilter,
): Promise<Page<Document>> {
  let query = db.selectFrom("documents").selectAll().where("tenant_id", "=", scope.tenantId);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.tag) query = query.where(sql<boolean>`tags @> array[${filter.tag}]::text[]`);
  if (filter.q) query = query.where("name", "ilike", containsPattern(filter.q));
  return newestFirstPage(query, filter);
}

export async function documentStats(db: Kysely<DB>, scope: Scope) {
  const byStatus = await db
    .selectFrom("documents")
    .select([
      "status",
      sql<number>`count(*)::int`.as("count"),
      sql<number>`coalesce(sum(size_bytes), 0)`.as("bytes"),
    ])
    .where("tenant_id", "=", scope.tenantId)
    .groupBy("status")
    .execute();
  const chunks = await db
    .selectFrom("chunks")
    .select(sql<number>`count(*)::int`.as("count"))
    .where("tenant_id", "=", scope.tenantId)
    .executeTakeFirstOrThrow();
  return {
    documents: byStatus.reduce((sum, row) => sum + row.count, 0),
    by_status: Object.fromEntries(byStatus.map((row) => [row.status, row.count])),
    total_bytes: byStatus.reduce((sum, row) => sum + Number(row.bytes), 0),
    chunks: chunks.count,
  };
}

/** Chunk and embedding counts for the progress view (points are counted by the caller's vector index). */
export async function chunkProgress(db: Kysely<DB>, scope: Scope, document: Document, model: string) {
  const row = await db
    .selectFrom("chunks as c")
    .leftJoin("embeddings as e", (join) =>
      join.onRef("e.content_hash", "=", "c.content_hash").on("e.model", "=", model),
    )
    .select([sql<number>`count(*)::int`.as("chunks"), sql<number>`count(e.content_hash)::int`.as("embedded")])
    .where("c.document_id", "=", document.id)
    .where("c.tenant_id", "=", scope.tenantId)
    .executeTakeFirstOrThrow();
  return row;
}

async function transition(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  from: DocumentStatus[],
  to: DocumentStatus,
  conflict: string,
  extra: { error?: null; stage_timestamps?: RawBuilder<Document["stage_timestamps"]> } = {},
): Promise<Document> {
  const updated = await db
    .updateTable("documents")
    .set({ status: to, updated_at: new Date(), ...extra })
    .where("id", "=", id)
    .where("tenant_id", "=", scope.tenantId)
    .where("status", "in", from)
    .returningAll()
    .executeTakeFirst();
  if (updated) return updated;
  const current = await getDocument(db, scope, id);
  throw new ApiError("conflict", conflict, { status: current.status });
}

/** Stops ingestion: pending jobs are removed, a running stage stops at its next check. */
export async function cancelDocument(db: Kysely<DB>, scope: Scope, id: string): Promise<Document> {
  return db.transaction().execute(async (trx) => {
    const doc = await transition(
      trx,
      scope,
      id,
      IN_PIPELINE,
      "canceled",
      "only a document being ingested can be canceled",
    );
    await removePendingJob(trx, documentJobKey(id));
    return doc;
  });
}

/** Resumes a failed or canceled document from the stage that did not finish. */
export async function retryDocument(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  maxAttempts: number,
): Promise<Document> {
  return db.transaction().execute(async (trx) => {
    const current = await getDocument(trx, scope, id);
    const stage = resumeStage(current.stage_timestamps);
    const doc = await transition(
      trx,
      scope,
      id,
      ["failed", "canceled"],
      stage === "extract" ? "queued" : STAGE_STATUS[stage],
      "only a failed or canceled document can be retried",
      { error: null },
    );
    await enqueue(
      trx,
      `ingest:${stage}`,
      { documentId: id, tenantId: scope.tenantId },
      { jobKey: documentJobKey(id), maxAttempts },
    );
    return doc;
  });
}

/** Embeds and indexes a ready document again with the current embedding model (e.g. after a model switch). */
export async function reindexDocument(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  maxAttempts: number,
): Promise<Document> {
  return db.transaction().execute(async (trx) => {
    // The last run's embed and index are forgotten, so a retry after a cancel resumes at embed.
    const doc = await transition(
      trx,
      scope,
      id,
      ["ready"],
      "embedding",
      "only a ready document can be reindexed",
      { stage_timestamps: sql<Document["stage_timestamps"]>`stage_timestamps - 'embed' - 'index'` },
    );
    await enqueue(
      trx,
      "ingest:embed",
      { documentId: id, tenantId: scope.tenantId },
      { jobKey: documentJobKey(id), maxAttempts },
    );
    return doc;
  });
}

/**
 * Marks the document `deleting` and queues its removal (points, blobs, chunks, row). The delete job takes
 * the pipeline's job key, so it replaces any stage still pending. Deleting twice is fine.
 */
export async function deleteDocument(db: Kysely<DB>, scope: Scope, id: string): Promise<Document> {
  return db.transaction().execute(async (trx) => {
    // Locked: a concurrent delete waits here, then finds the document deleting and answers alike.
    const current = await getDocument(trx, scope, id, { lock: true });
    if (current.status === "deleting") return current;
    const doc = await transition(
      trx,
      scope,
      id,
      DOCUMENT_STATUSES.filter((status) => status !== "deleting"),
      "deleting",
      "document is already being deleted",
    );
    await enqueue(
      trx,
      "ingest:delete",
      { documentId: id, tenantId: scope.tenantId },
      { jobKey: documentJobKey(id), maxAttempts: 10 },
    );
    return doc;
  });
}
