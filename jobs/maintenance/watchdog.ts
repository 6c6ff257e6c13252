import { sql } from "kysely";
import type { Deps } from "../../shared/deps.ts";
import { failDocument } from "../../shared/documents/stages.ts";
import { IN_PIPELINE, resumeStage, stageOfStatus } from "../../shared/documents/status.ts";
import { documentJobKey } from "../../shared/queue/catalog.ts";
import { enqueue } from "../../shared/queue/enqueue.ts";

/**
 * Documents sitting in a pipeline status with no live job to move them (a job lost with a crashed
 * database, a purged queue, a last attempt whose failure was never recorded): the first time they are
 * re-enqueued at the stage their status names, the second time (no stage completed in between) they
 * fail with a message saying so.
 */
export async function watchdog(deps: Deps) {
  const cutoff = new Date(Date.now() - deps.config.INGEST_STUCK_AFTER_MINUTES * 60_000);
  const stuck = await deps.db
    .selectFrom("documents as d")
    .selectAll("d")
    .where("d.status", "in", IN_PIPELINE)
    .where("d.updated_at", "<", cutoff)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom(sql`graphile_worker.jobs`.as("j"))
            .select(sql`1`.as("one"))
            .where(sql.ref("j.key"), "=", sql`'ingest:' || d.id::text`)
            // A job out of attempts will never run again: it does not count as live.
            .where(sql.ref("j.attempts"), "<", sql.ref("j.max_attempts")),
        ),
      ),
    )
    .limit(500)
    .execute();
  let requeued = 0;
  let failed = 0;
  for (const document of stuck) {
    if (document.stage_timestamps.watchdog?.started_at) {
      await failDocument(
        deps.db,
        document.id,
        `stuck in ${document.status} with no job to resume it; retry it`,
      );
      failed += 1;
      continue;
    }
    // The status says which stage the document waits on, even when that stage's job never started.
    const stage = stageOfStatus(document.status) ?? resumeStage(document.stage_timestamps);
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("documents")
        .set({
          updated_at: new Date(),
          stage_timestamps: sql`stage_timestamps || jsonb_build_object('watchdog', jsonb_build_object('started_at', now()))`,
        })
        .where("id", "=", document.id)
        .execute();
      await enqueue(
        trx,
        `ingest:${stage}`,
        { documentId: document.id, tenantId: document.tenant_id },
        { jobKey: documentJobKey(document.id), maxAttempts: deps.config.INGEST_MAX_ATTEMPTS },
      );
    });
    requeued += 1;
  }
  return { requeued, failed };
}
