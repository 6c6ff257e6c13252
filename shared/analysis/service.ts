import type { Kysely } from "kysely";
import type { AnalysisStatus, DB } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { type BlobStore, blobPrefix } from "../blob/index.ts";
import { ApiError, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { newestFirstPage, type Page } from "../pagination/keyset-cursor.ts";
import { enqueue, removePendingJob } from "../queue/enqueue.ts";
import type { AnalysisParams } from "./params.ts";
import type { AnalysisJob, AnalysisSource } from "./types.ts";

/** One pending `analyze:run` per analysis: cancel removes it by this key, retry replaces it. */
export const analysisJobKey = (analysisId: string) => `analyze:${analysisId}`;

export interface NewAnalysis {
  /** Chosen by the caller, so blobs can be stored under it before the row exists. */
  id: string;
  source: AnalysisSource;
  /** Where the source's bytes are (file and text sources); a URL source gets one when fetched. */
  blobKey: string | null;
  params: AnalysisParams;
}

/** Inserts the analysis (queued) and its job in one transaction. */
export async function createAnalysis(
  db: Kysely<DB>,
  scope: Scope,
  input: NewAnalysis,
  maxAttempts: number,
): Promise<AnalysisJob> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("analysis_jobs")
      .values({
        id: input.id,
        tenant_id: scope.tenantId,
        status: "queued",
        source: { ...input.source },
        blob_key: input.blobKey,
        params: { ...input.params },
        created_by: scope.userId,
        updated_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueue(
      trx,
      "analyze:run",
      { analysisId: row.id, tenantId: scope.tenantId },
      { jobKey: analysisJobKey(row.id), maxAttempts },
    );
    return row;
  });
}

export async function getAnalysis(db: Kysely<DB>, scope: Scope, id: string): Promise<AnalysisJob> {
  const row = await db
    .selectFrom("analysis_jobs")
    .selectAll()
    .where("id", "=", id)
    .where("tenant_id", "=", scope.tenantId)
    .executeTakeFirst();
  if (!row) throw notFound("analysis");
  return row;
}

export interface AnalysisFilter {
  status?: AnalysisStatus;
  cursor?: string;
  limit: number;
}

/** The tenant's analyses, newest first, keyset-paginated. */
export async function listAnalyses(
  db: Kysely<DB>,
  scope: Scope,
  filter: AnalysisFilter,
): Promise<Page<AnalysisJob>> {
  let query = db.selectFrom("analysis_jobs").selectAll().where("tenant_id", "=", scope.tenantId);
  if (filter.status) query = query.where("status", "=", filter.status);
  return newestFirstPage(query, filter);
}

async function transition(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  from: AnalysisStatus[],
  set: { status: AnalysisStatus } & Partial<
    Pick<AnalysisJob, "progress" | "result" | "error" | "artifact_key">
  >,
  conflict: string,
): Promise<AnalysisJob> {
  const updated = await db
    .updateTable("analysis_jobs")
    .set({ ...set, updated_at: new Date() })
    .where("id", "=", id)
    .where("tenant_id", "=", scope.tenantId)
    .where("status", "in", from)
    .returningAll()
    .executeTakeFirst();
  if (updated) return updated;
  const current = await getAnalysis(db, scope, id);
  throw new ApiError("conflict", conflict, { status: current.status });
}

/** Stops an analysis: a pending job is removed, a running one stops before its next chunk. */
export async function cancelAnalysis(db: Kysely<DB>, scope: Scope, id: string): Promise<AnalysisJob> {
  return db.transaction().execute(async (trx) => {
    const row = await transition(
      trx,
      scope,
      id,
      ["queued", "running"],
      { status: "canceled" },
      "only a queued or running analysis can be canceled",
    );
    await removePendingJob(trx, analysisJobKey(id));
    return row;
  });
}

/** Runs a failed or canceled analysis again from the start, from its stored source. */
export async function retryAnalysis(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  maxAttempts: number,
): Promise<AnalysisJob> {
  return db.transaction().execute(async (trx) => {
    const row = await transition(
      trx,
      scope,
      id,
      ["failed", "canceled"],
      { status: "queued", progress: 0, result: null, error: null, artifact_key: null },
      "only a failed or canceled analysis can be retried",
    );
    await enqueue(
      trx,
      "analyze:run",
      { analysisId: id, tenantId: scope.tenantId },
      { jobKey: analysisJobKey(id), maxAttempts },
    );
    return row;
  });
}

/** Deletes the analysis, its pending job, then its source and artifact blobs. */
export async function deleteAnalysis(
  ports: { db: Kysely<DB>; blobStore: BlobStore; log: Logger },
  scope: Scope,
  id: string,
): Promise<void> {
  await ports.db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom("analysis_jobs")
      .where("id", "=", id)
      .where("tenant_id", "=", scope.tenantId)
      .returning("id")
      .executeTakeFirst();
    if (!deleted) throw notFound("analysis");
    await removePendingJob(trx, analysisJobKey(id));
  });
  // A run still going notices the row is gone at its next step and removes what it wrote after this.
  for (const kind of ["analysis", "artifacts"] as const) {
    await ports.blobStore.deletePrefix(blobPrefix(scope.tenantId, kind, id)).catch((error: unknown) => {
      ports.log.warn({ err: error, analysis_id: id, kind }, "could not delete analysis blobs");
    });
  }
}
