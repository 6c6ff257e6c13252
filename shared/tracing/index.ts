import type { Config } from "../config/index.ts";

export interface Tracing {
  /** Exports the spans still buffered, then unregisters the global tracer (a no-op when tracing is off). */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, nothing is registered and
 * the API's no-op tracer answers every span. The SDK is imported only when tracing is on: a bundle still
 * carries it, but does not spend its start-up evaluating it.
 */
export async function startTracing(config: Config, functionName: string): Promise<Tracing> {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return { shutdown: async () => {} };
  const { registerTracerProvider } = await import("./provider.ts");
  return registerTracerProvider(endpoint, {
    serviceName: config.OTEL_SERVICE_NAME ?? `quarry-${functionName}`,
    serviceVersion: config.BUILD_VERSION,
  });
}
