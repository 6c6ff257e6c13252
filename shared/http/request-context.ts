import { randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Deps } from "../deps.ts";
import type { Logger } from "../logger.ts";
import type { AppEnv } from "./app-env.ts";
import { requestHeader, setResponseHeader } from "./node-bindings.ts";

const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The route template that answered (never the raw path, so metrics stay bounded), or "unmatched". */
export function routeTemplate(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const handlers = matchedRoutes(c).filter((route) => route.method !== "ALL");
  return handlers.at(-1)?.path ?? "unmatched";
}

/** The request's logger, bound to its request id; made on first use, since most requests never log. */
export function requestLog(c: Context<AppEnv>): Logger {
  let log = c.get("log");
  if (!log) {
    log = c.get("deps").log.child({ request_id: c.get("requestId") });
    c.set("log", log);
  }
  return log;
}

/** Request id, dependencies, one summary log line and the HTTP metrics. */
export function requestContext(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const given = requestHeader(c, "x-request-id");
    const requestId = given && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.set("deps", deps);
    setResponseHeader(c, "X-Request-ID", requestId);
    deps.metrics.httpInFlight.inc();
    try {
      await next();
    } finally {
      deps.metrics.httpInFlight.dec();
      const route = routeTemplate(c);
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.http.record(route, c.req.method, c.res.status, seconds);
      // The summary line's fields are gathered only when it is written.
      if (deps.log.isLevelEnabled("info")) {
        const principal = c.get("principal");
        deps.log.info(
          {
            request_id: requestId,
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
    }
  };
}
