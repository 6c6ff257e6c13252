import type { JobHelpers, Task } from "graphile-worker";
import type { z } from "zod";
import type { Deps } from "../shared/deps.ts";

/** A task whose payload is validated with zod before it runs; a bad payload fails the job with the reasons. */
export function defineTask<Schema extends z.ZodType>(
  deps: Deps,
  schema: Schema,
  run: (payload: z.infer<Schema>, helpers: JobHelpers) => Promise<void>,
): Task {
  return async (payload, helpers) => {
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) {
      throw new Error(`invalid payload for ${helpers.job.task_identifier}: ${parsed.error.message}`);
    }
    const started = performance.now();
    await run(parsed.data, helpers);
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
