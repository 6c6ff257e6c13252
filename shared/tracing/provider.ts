import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { Tracing } from "./index.ts";

/**
 * A tracer provider exporting batches over OTLP/HTTP (JSON) to `endpoint`, registered globally with W3C
 * trace-context propagation.
 */
export function registerTracerProvider(
  endpoint: string,
  resource: { serviceName: string; serviceVersion: string },
): Tracing {
  const base = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: resource.serviceName,
      [ATTR_SERVICE_VERSION]: resource.serviceVersion,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL("v1/traces", base).href }))],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
