import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "./app-env.ts";

const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The route template that answered (never the raw path, so metrics stay bounded), or "unmatched". */
function routeTemplate(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const handlers = matchedRoutes(c).filter((route) => route.method !== "ALL");
  return handlers.at(-1)?.path ?? "unmatched";
}

/** Request id, per-request logger, dependencies, one summary log line and the HTTP metrics. */
export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.set("log", deps.log.child({ request_id: requestId }));
    c.set("deps", deps);
    c.header("X-Request-ID", requestId);
    deps.metrics.httpInFlight.inc();
    try {
      await next();
    } finally {
      deps.metrics.httpInFlight.dec();
      const route = routeTemplate(c);
      const status = String(c.res.status);
      const seconds = (performance.now() - started) / 1000;
      const labels = { route, method: c.req.method, status };
      deps.metrics.httpRequests.inc(labels);
      deps.metrics.httpDuration.observe(labels, seconds);
      const principal = c.get("principal");
      c.get("log").info(
        {
          method: c.req.method,
          route,
          path: c.req.path,
          status: c.res.status,
          duration_ms: Math.round(seconds * 10_000) / 10,
          tenant_id: principal?.tenantId,
          user_id: principal?.userId,
        },
        "request",
      );
    }
  };
}
