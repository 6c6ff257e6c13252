import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { cancelAnalysis, deleteAnalysis, retryAnalysis } from "../../../shared/analysis/service.ts";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { requestLog } from "../../../shared/http/request-context.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import { viewWithLinks } from "../links.ts";
import { ANALYZE_RATE_LIMIT } from "../rate-limit.ts";
import { AnalysisSchema, IdParamsSchema } from "../schemas.ts";
import { malformedIdIsNotFound } from "./analysis-id.ts";

const common = {
  tags: ["analyze"],
  security: bearerSecurity,
  middleware: [requireRole("editor")],
  request: { params: IdParamsSchema },
};

const remove = createRoute({
  ...common,
  method: "delete",
  path: "/api/analyze/{id}",
  summary: "Delete an analysis with its source and artifacts",
  description: "A running analysis stops before its next chunk. 404 when it does not exist (or no longer).",
  responses: { 204: { description: "Deleted" }, ...errorResponses(404), ...protectedErrors },
});

const cancel = createRoute({
  ...common,
  method: "post",
  path: "/api/analyze/{id}/cancel",
  summary: "Stop an analysis",
  description: "A queued one never starts; a running one stops between chunks. 409 unless queued or running.",
  responses: {
    200: jsonResponse("The canceled analysis", AnalysisSchema),
    ...errorResponses(404, 409),
    ...protectedErrors,
  },
});

const retry = createRoute({
  ...common,
  method: "post",
  path: "/api/analyze/{id}/retry",
  summary: "Run a failed or canceled analysis again",
  description:
    "Starts over from the stored source (a URL already fetched is not fetched again). 409 unless failed or canceled.",
  middleware: [requireRole("editor"), rateLimit(ANALYZE_RATE_LIMIT)] as const,
  responses: {
    202: jsonResponse("The analysis, queued again", AnalysisSchema),
    ...errorResponses(404, 409),
    ...protectedErrors,
  },
});

export function lifecycleRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(
      remove,
      async (c) => {
        const deps = contentDeps(c);
        await deleteAnalysis(
          { ...deps, log: requestLog(c) },
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
        );
        return c.body(null, 204);
      },
      malformedIdIsNotFound,
    )
    .openapi(
      cancel,
      async (c) => {
        const deps = contentDeps(c);
        const job = await cancelAnalysis(deps.db, scopeOf(c.get("principal")), c.req.valid("param").id);
        return c.json(await viewWithLinks(deps, job), 200);
      },
      malformedIdIsNotFound,
    )
    .openapi(
      retry,
      async (c) => {
        const deps = contentDeps(c);
        const job = await retryAnalysis(
          deps.db,
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
          deps.config.ANALYZE_MAX_ATTEMPTS,
        );
        return c.json(await viewWithLinks(deps, job), 202);
      },
      malformedIdIsNotFound,
    );
}
