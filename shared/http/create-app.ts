import type { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { Deps } from "../deps.ts";
import { IDEMPOTENCY_STATUS_HEADER, idempotency, REPLAYED_HEADER } from "../idempotency/middleware.ts";
import type { AppEnv } from "./app-env.ts";
import { bodyRules } from "./body-rules.ts";
import { handleError, handleNotFound } from "./error-handler.ts";
import { healthRoutes } from "./health.ts";
import { requestContext } from "./request-context.ts";
import { createRouter } from "./router.ts";
import { traceRequests } from "./trace-requests.ts";

/**
 * The methods whose requests may carry a body and change state. Only they pass the body rules and the
 * idempotency middleware: a read goes through fewer handlers, and Hono runs each at a cost.
 */
const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

/**
 * The one app factory: every function bundle, the all-in-one server and the tests mount their
 * route groups on it, so request ids, logs, metrics, limits and the error envelope are the same everywhere.
 */
export function createApp(deps: Deps, routeGroups: OpenAPIHono<AppEnv>[]): OpenAPIHono<AppEnv> {
  const app = createRouter();
  if (deps.config.OTEL_EXPORTER_OTLP_ENDPOINT) app.use("*", traceRequests());
  app.use("*", requestContext(deps));
  if (deps.config.CORS_ORIGINS.length > 0) {
    app.use(
      "*",
      cors({
        origin: deps.config.CORS_ORIGINS,
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        exposeHeaders: [
          "X-Request-ID",
          "Retry-After",
          "RateLimit",
          "RateLimit-Policy",
          REPLAYED_HEADER,
          IDEMPOTENCY_STATUS_HEADER,
        ],
        maxAge: 600,
      }),
    );
  }
  app.on(WRITE_METHODS, "*", bodyRules(deps.config.BODY_LIMIT_BYTES), idempotency);
  app.route("/", healthRoutes());
  for (const group of routeGroups) app.route("/", group);
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
