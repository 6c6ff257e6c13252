import type { JobHelpers } from "graphile-worker";
import type { Document } from "../../../db/types.ts";
import type { ContentDeps } from "../../../shared/content-deps.ts";
import { failDocument, startStage } from "../../../shared/documents/stages.ts";
import type { Stage } from "../../../shared/documents/status.ts";
import { ApiError } from "../../../shared/errors.ts";

/** Errors a retry cannot fix (an unreadable file, a zip bomb): the document fails at once. */
function isPermanent(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status < 500;
}

/**
 * Runs one stage of a document's pipeline: marks it started, runs `work`, and on failure either lets
 * graphile-worker retry (transient errors) or marks the document `failed` (permanent errors, or the
 * last attempt). Jobs for documents that moved on (canceled, deleted) end without doing anything.
 */
export async function runStage(
  deps: ContentDeps,
  stage: Stage,
  payload: { documentId: string; tenantId: string },
  helpers: JobHelpers,
  work: (document: Document) => Promise<void>,
): Promise<void> {
  const document = await startStage(deps.db, payload.documentId, payload.tenantId, stage);
  const log = deps.log.child({ document_id: payload.documentId, job_id: helpers.job.id, stage });
  if (!document) {
    log.debug("document left this stage; job superseded");
    return;
  }
  const started = performance.now();
  try {
    await work(document);
    deps.metrics.stageDuration.observe({ stage }, (performance.now() - started) / 1000);
  } catch (error) {
    deps.metrics.stageFailures.inc({ stage });
    const message = error instanceof Error ? error.message : String(error);
    if (isPermanent(error)) {
      log.info({ reason: message }, "document cannot be ingested");
      await failDocument(deps.db, document.id, message);
      return;
    }
    const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts;
    log.warn({ err: error, attempt: helpers.job.attempts, lastAttempt }, "stage failed");
    if (lastAttempt) await failDocument(deps.db, document.id, `${stage} failed: ${message}`);
    throw error;
  }
}
