import { Counter, Histogram, type Registry } from "prom-client";

export type ModelCallOutcome = "ok" | "error";
export type ModelCallFailure =
  | "rate_limited"
  | "server_error"
  | "client_error"
  | "network"
  | "timeout"
  | "invalid_response";

export interface ModelCallMetrics {
  /** One model call (all its attempts) and how it ended. */
  observe(operation: string, outcome: ModelCallOutcome, seconds: number): void;
  /** One failed attempt, retried or not. */
  failure(operation: string, reason: ModelCallFailure): void;
}

const DURATION = "model_call_duration_seconds";
const FAILURES = "model_call_errors_total";

/** Model call latency and errors on `registry`; get-or-create, so the embedder and the LLM port can share them. */
export function modelCallMetrics(registry: Registry): ModelCallMetrics {
  const duration =
    (registry.getSingleMetric(DURATION) as Histogram<"operation" | "outcome"> | undefined) ??
    new Histogram({
      name: DURATION,
      help: "Model server calls (embeddings, chat) by operation and outcome, retries included",
      labelNames: ["operation", "outcome"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  const failures =
    (registry.getSingleMetric(FAILURES) as Counter<"operation" | "reason"> | undefined) ??
    new Counter({
      name: FAILURES,
      help: "Failed model server attempts by operation and reason",
      labelNames: ["operation", "reason"],
      registers: [registry],
    });
  return {
    observe: (operation, outcome, seconds) => duration.observe({ operation, outcome }, seconds),
    failure: (operation, reason) => failures.inc({ operation, reason }),
  };
}
