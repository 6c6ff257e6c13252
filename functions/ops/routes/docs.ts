import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import type { OpenApiDocument } from "../../../shared/http/openapi.ts";
import { jsonResponse } from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { OPENAPI_JSON_PATH, referencePage } from "../reference-page.ts";

const pageRoute = createRoute({
  method: "get",
  path: "/api/docs",
  tags: ["ops"],
  summary: "API reference page (self-contained, no external assets)",
  responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } } },
});

const documentRoute = createRoute({
  method: "get",
  path: OPENAPI_JSON_PATH,
  tags: ["ops"],
  summary: "The OpenAPI 3.1 document of every function",
  responses: { 200: jsonResponse("OpenAPI 3.1 document", z.record(z.string(), z.unknown())) },
});

export function docsRoutes(apiDocument: () => OpenApiDocument): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(pageRoute, (c) => c.html(referencePage.html, 200, referencePage.headers))
    .openapi(documentRoute, (c) => c.json(apiDocument(), 200));
}
