import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { createHttpMetrics } from "./http-metrics.ts";

/** Every metric of one process, on its own registry (no global state: tests build as many as they like). */
export function createMetrics(functionName: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ function: functionName });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    http: createHttpMetrics(registry),
    httpInFlight: new Gauge({
      name: "http_requests_in_flight",
      help: "HTTP requests being served",
      registers,
    }),
    rateLimitRejections: new Counter({
      name: "rate_limit_rejections_total",
      help: "Requests refused with 429, by policy",
      labelNames: ["policy"],
      registers,
    }),
    rateLimitFailOpen: new Counter({
      name: "rate_limit_fail_open_total",
      help: "Requests let through because the rate-limit store was unreachable",
      registers,
    }),
    stageDuration: new Histogram({
      name: "ingest_stage_duration_seconds",
      help: "Duration of ingest pipeline stages",
      labelNames: ["stage"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    stageFailures: new Counter({
      name: "ingest_stage_failures_total",
      help: "Ingest stage attempts that failed",
      labelNames: ["stage"],
      registers,
    }),
    idempotencySkipped: new Counter({
      name: "idempotency_skipped_total",
      help: "Requests with an Idempotency-Key served without protection because the store was unreachable",
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
