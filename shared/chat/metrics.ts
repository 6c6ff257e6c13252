import { Gauge, type Registry } from "prom-client";

const ACTIVE_STREAMS = "sse_streams_active";

/** The open SSE answer streams gauge on `registry` (get-or-create: one per process registry). */
export function activeStreamsGauge(registry: Registry): Gauge {
  return (
    (registry.getSingleMetric(ACTIVE_STREAMS) as Gauge | undefined) ??
    new Gauge({ name: ACTIVE_STREAMS, help: "Answers being streamed over SSE", registers: [registry] })
  );
}
