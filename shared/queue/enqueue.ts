import { type Kysely, sql } from "kysely";
import type { DB } from "../../db/types.ts";
import { TASK_PAYLOADS, type TaskName, type TaskPayload } from "./catalog.ts";

export interface EnqueueOptions {
  /** Dedupe key: a pending job with the same key is replaced (graphile-worker `job_key`). */
  jobKey?: string;
  maxAttempts?: number;
  runAt?: Date;
}

/**
 * Adds a job on the given connection: pass the business transaction so the job exists
 * exactly when the change that caused it commits.
 */
export async function enqueue<Name extends TaskName>(
  db: Kysely<DB>,
  task: Name,
  payload: TaskPayload<Name>,
  options: EnqueueOptions = {},
): Promise<void> {
  const valid = TASK_PAYLOADS[task].parse(payload);
  await sql`select graphile_worker.add_job(
    ${task},
    ${JSON.stringify(valid)}::json,
    job_key := ${options.jobKey ?? null}::text,
    max_attempts := ${options.maxAttempts ?? 5}::int,
    run_at := ${options.runAt ?? null}::timestamptz
  )`.execute(db);
}

/** Removes a pending (not running) job by key; a running one finishes its current step. */
export async function removePendingJob(db: Kysely<DB>, jobKey: string): Promise<void> {
  await sql`select graphile_worker.remove_job(${jobKey})`.execute(db);
}
