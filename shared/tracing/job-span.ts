import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { tracer } from "./tracer.ts";

/** Runs one job inside a CONSUMER span of its own trace; a throw marks the span as an error. */
export function inJobSpan<T>(
  task: string,
  jobId: string,
  attempt: number,
  run: () => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    `job ${task}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      attributes: { "quarry.job.task": task, "quarry.job.id": jobId, "quarry.job.attempt": attempt },
    },
    async (span) => {
      try {
        return await run();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
