import { type Kysely, sql, type Transaction } from "kysely";
import type { DB, Document, DocumentStatus } from "../../db/types.ts";
import { invalidateAnswersForDocument } from "../chat/answer-cache.ts";
import { documentJobKey } from "../queue/catalog.ts";
import { enqueue } from "../queue/enqueue.ts";
import { nextStage, STAGE_STATUS, type Stage } from "./status.ts";

/** The statuses in which a stage may (re)start: its own, or `queued` for the first one. */
function entryStatuses(stage: Stage): DocumentStatus[] {
  return stage === "extract" ? ["queued", "extracting"] : [STAGE_STATUS[stage]];
}

/**
 * Marks the stage started (`extracting`, …) and returns the document, or null when the document has
 * moved on (canceled, deleting, retried elsewhere): a superseded job then ends quietly.
 */
export async function startStage(db: Kysely<DB>, documentId: string, tenantId: string, stage: Stage) {
  return db
    .updateTable("documents")
    .set({
      status: STAGE_STATUS[stage],
      updated_at: new Date(),
      stage_timestamps: sql`stage_timestamps || jsonb_build_object(${stage}::text, jsonb_build_object('started_at', clock_timestamp()))`,
    })
    .where("id", "=", documentId)
    .where("tenant_id", "=", tenantId)
    .where("status", "in", entryStatuses(stage))
    .returningAll()
    .executeTakeFirst();
}

/** True while the document is still in this stage (checked between batches so a cancel stops work). */
export async function stillInStage(db: Kysely<DB>, documentId: string, stage: Stage): Promise<boolean> {
  const row = await db
    .selectFrom("documents")
    .select("status")
    .where("id", "=", documentId)
    .executeTakeFirst();
  return row?.status === STAGE_STATUS[stage];
}

/**
 * Whether `completeStage` found the document deleted, or being deleted, while the stage ran. The delete
 * job swept its blobs and points before the stage wrote its own: those are the stage's to remove.
 */
export function deletedMeanwhile(status: DocumentStatus | null): boolean {
  return status === null || status === "deleting";
}

/**
 * Ends the stage and hands over to the next one, in one transaction with `record` (the stage's own
 * writes): the status moves on, the next job is enqueued, or the document becomes `ready`. Returns the
 * document's status afterwards: the next stage's, or, when the document left the stage meanwhile (then
 * nothing of the stage's result is kept), the one it moved to — null once it is deleted.
 */
export async function completeStage(
  db: Kysely<DB>,
  document: Document,
  stage: Stage,
  maxAttempts: number,
  record: (trx: Transaction<DB>) => Promise<void> = async () => {},
  changes: Partial<Pick<Document, "source_mime" | "canonical_key" | "embedding_model">> = {},
): Promise<DocumentStatus | null> {
  const next = nextStage(stage);
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom("documents")
      .select("status")
      .where("id", "=", document.id)
      .forUpdate()
      .executeTakeFirst();
    if (current?.status !== STAGE_STATUS[stage]) return current?.status ?? null;
    await record(trx);
    const status = next ? STAGE_STATUS[next] : "ready";
    await trx
      .updateTable("documents")
      .set({
        ...changes,
        status,
        error: null,
        updated_at: new Date(),
        // clock_timestamp(): the stage ends after its own writes, not when this transaction began. A
        // completed stage is progress: the watchdog's "re-enqueued once" mark is cleared.
        stage_timestamps: sql`jsonb_set(stage_timestamps - 'watchdog', ${`{${stage},ended_at}`}::text[], to_jsonb(clock_timestamp()))`,
      })
      .where("id", "=", document.id)
      .execute();
    // Ready again (ingested, re-ingested, reindexed): answers cached from its old chunks are stale.
    if (!next) await invalidateAnswersForDocument(trx, document.id);
    if (next) {
      await enqueue(
        trx,
        `ingest:${next}`,
        { documentId: document.id, tenantId: document.tenant_id },
        { jobKey: documentJobKey(document.id), maxAttempts },
      );
    }
    return status;
  });
}

/** The document ends `failed` with a message a person can act on; the unfinished stage stays recorded. */
export async function failDocument(db: Kysely<DB>, documentId: string, message: string): Promise<void> {
  await db
    .updateTable("documents")
    .set({ status: "failed", error: message.slice(0, 2000), updated_at: new Date() })
    .where("id", "=", documentId)
    .where("status", "not in", ["deleting", "canceled", "ready"])
    .execute();
}
