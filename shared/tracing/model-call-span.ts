import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@opentelemetry/semantic-conventions";
import { tracer } from "./tracer.ts";

export interface ModelCallSpan {
  /** The request's headers plus `traceparent` when tracing is on: send these. */
  readonly headers: Record<string, string>;
  answered(status: number): void;
  /** The attempt failed; `reason` is its ModelCallFailure (`timeout`, `server_error`, …). */
  failed(reason: string): void;
  end(): void;
}

/**
 * A CLIENT span around one POST to a model server, a child of the active span (the request or job that
 * asked). Named as the GenAI conventions name it: `<operation> <model>`.
 */
export function startModelCallSpan(
  operation: "chat" | "embeddings",
  model: string,
  endpoint: URL,
  headers: Record<string, string>,
): ModelCallSpan {
  const span = tracer().startSpan(`${operation} ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      // GenAI attribute names are not in the stable conventions package yet.
      "gen_ai.operation.name": operation,
      "gen_ai.request.model": model,
      [ATTR_HTTP_REQUEST_METHOD]: "POST",
      [ATTR_SERVER_ADDRESS]: endpoint.hostname,
      [ATTR_SERVER_PORT]: Number(endpoint.port) || (endpoint.protocol === "https:" ? 443 : 80),
    },
  });
  const sent = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), sent);
  return {
    headers: sent,
    answered: (status) => span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status),
    failed(reason) {
      span.setAttribute(ATTR_ERROR_TYPE, reason);
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
    end: () => span.end(),
  };
}
