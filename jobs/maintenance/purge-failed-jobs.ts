import { sql } from "kysely";
import type { Deps } from "../../shared/deps.ts";

const KEEP_FAILED_JOBS_DAYS = 7;

/**
 * Jobs out of attempts for a week are copied to `dead_letter_jobs`, then removed from the queue. The
 * payload is read from graphile-worker's private table: its public `jobs` view does not expose it.
 */
export async function purgeFailedJobs(deps: Deps) {
  return deps.db.transaction().execute(async (trx) => {
    const moved = await sql<{ job_id: number }>`
      insert into dead_letter_jobs (job_id, task_identifier, payload, job_key, attempts, max_attempts, last_error, created_at, failed_at)
      select j.id, t.identifier, coalesce(j.payload::jsonb, '{}'::jsonb), j.key, j.attempts, j.max_attempts,
        j.last_error, j.created_at, j.updated_at
      from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id
      where j.attempts >= j.max_attempts and j.locked_at is null
        and j.updated_at < now() - make_interval(days => ${KEEP_FAILED_JOBS_DAYS})
      on conflict (job_id) do nothing
      returning job_id`.execute(trx);
    const ids = moved.rows.map((row) => row.job_id);
    if (ids.length > 0) await sql`select graphile_worker.complete_jobs(${ids}::bigint[])`.execute(trx);
    return { moved: ids.length };
  });
}
