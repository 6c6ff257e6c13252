import { type Tracer, trace } from "@opentelemetry/api";

/**
 * Quarry's tracer: the registered provider's when tracing is on, the API's no-op one otherwise. Asked
 * for on each use, not kept, so a provider registered (or unregistered) later is the one that answers.
 */
export function tracer(): Tracer {
  return trace.getTracer("quarry");
}
