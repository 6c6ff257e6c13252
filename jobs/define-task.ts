import type { JobHelpers, Task } from "graphile-worker";
import type { Deps } from "../shared/deps.ts";
import { TASK_PAYLOADS, type TaskName, type TaskPayload } from "../shared/queue/catalog.ts";

/** A task whose payload is validated against the catalog before it runs; a bad payload fails the job. */
export function defineTask<Name extends TaskName>(
  deps: Deps,
  name: Name,
  run: (payload: TaskPayload<Name>, helpers: JobHelpers) => Promise<void>,
): Task {
  return async (payload, helpers) => {
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
  };
}
