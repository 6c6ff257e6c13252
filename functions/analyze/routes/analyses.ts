import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { analysisSummaryView } from "../../../shared/analysis/serialize.ts";
import { getAnalysis, listAnalyses } from "../../../shared/analysis/service.ts";
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
import { createRouter } from "../../../shared/http/router.ts";
import { viewWithLinks } from "../links.ts";
import { AnalysisPageSchema, AnalysisSchema, IdParamsSchema, ListQuerySchema } from "../schemas.ts";
import { malformedIdIsNotFound } from "./analysis-id.ts";

const list = createRoute({
  method: "get",
  path: "/api/analyze",
  tags: ["analyze"],
  summary: "The tenant's analyses, newest first",
  security: bearerSecurity,
  middleware: [requireRole("editor")] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: jsonResponse("A page of analyses (without results: GET one for its result)", AnalysisPageSchema),
    ...errorResponses(400, 422),
    ...protectedErrors,
  },
});

const one = createRoute({
  method: "get",
  path: "/api/analyze/{id}",
  tags: ["analyze"],
  summary: "One analysis: status, progress, result, and links to its report",
  security: bearerSecurity,
  middleware: [requireRole("editor")] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: jsonResponse("The analysis", AnalysisSchema),
    ...errorResponses(404),
    ...protectedErrors,
  },
});

export function analysisRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(list, async (c) => {
      const page = await listAnalyses(contentDeps(c).db, scopeOf(c.get("principal")), c.req.valid("query"));
      return c.json({ items: page.rows.map(analysisSummaryView), next_cursor: page.nextCursor }, 200);
    })
    .openapi(
      one,
      async (c) => {
        const deps = contentDeps(c);
        const job = await getAnalysis(deps.db, scopeOf(c.get("principal")), c.req.valid("param").id);
        return c.json(await viewWithLinks(deps, job), 200);
      },
      malformedIdIsNotFound,
    );
}
