import type { JobHelpers, Task } from "graphile-worker";
import type { ContentDeps } from "../shared/content-deps.ts";
import { TASK_PAYLOADS, type TaskName, type TaskPayload } from "../shared/queue/catalog.ts";
import { inJobSpan } from "../shared/tracing/job-span.ts";

/**
 * A task whose payload is validated against the catalog before it runs; a bad payload fails the job.
 * Each run is a span of its own (when tracing is on).
 */
export function defineTask<Name extends TaskName>(
  deps: ContentDeps,
  name: Name,
  run: (payload: TaskPayload<Name>, helpers: JobHelpers) => Promise<void>,
): Task {
  return (payload, helpers) =>
    inJobSpan(name, helpers.job.id, helpers.job.attempts, async () => {
      const parsed = TASK_PAYLOADS[name].safeParse(payload ?? {});
      if (!parsed.success) {
        throw new Error(`invalid payload for ${helpers.job.task_identifier}: ${parsed.error.message}`);
      }
      const started = performance.now();
      await run(parsed.data as TaskPayload<Name>, helpers);
      deps.log.debug(
        {
          job_id: helpers.job.id,
          task: helpers.job.task_identifier,
          ms: Math.round(performance.now() - started),
        },
        "job done",
      );
    });
}
