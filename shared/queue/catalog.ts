import { z } from "zod";

const documentJob = z.object({ documentId: z.uuid(), tenantId: z.uuid() }).strict();
const analysisJob = z.object({ analysisId: z.uuid(), tenantId: z.uuid() }).strict();
/** A crontab task: graphile-worker adds `_cron` (when it was due, whether backfilled) to what it enqueues. */
const scheduled = z
  .object({ _cron: z.object({ ts: z.string(), backfilled: z.boolean() }).strict().optional() })
  .strict();

/** Every task and the payload it takes: enqueuers and tasks validate against the same schema. */
export const TASK_PAYLOADS = {
  "ingest:extract": documentJob,
  "ingest:chunk": documentJob,
  "ingest:embed": documentJob,
  "ingest:index": documentJob,
  "ingest:delete": documentJob,
  "ingest:close-upload": documentJob,
  "analyze:run": analysisJob,
  "maintenance:expire-uploads": scheduled,
  "maintenance:watchdog": scheduled,
  "maintenance:reconcile-index": scheduled,
  "maintenance:purge-failed-jobs": scheduled,
  "maintenance:purge-expired-tokens": scheduled,
  "maintenance:purge-answer-cache": scheduled,
} as const;

export type TaskName = keyof typeof TASK_PAYLOADS;
export type TaskPayload<Name extends TaskName> = z.infer<(typeof TASK_PAYLOADS)[Name]>;

/** The job key of a document's pipeline: one pending stage at a time, replaced by the next enqueue. */
export const documentJobKey = (documentId: string) => `ingest:${documentId}`;

/** The job key of the sweep that follows a presigned upload's URL expiry. */
export const closeUploadJobKey = (documentId: string) => `upload:${documentId}`;
