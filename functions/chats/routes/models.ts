import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { ModelListSchema } from "../schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/models",
  tags: ["openai"],
  summary: "OpenAI-compatible model list: the one model Quarry answers with",
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  responses: { 200: jsonResponse("The model", ModelListSchema), ...errorResponses(422), ...protectedErrors },
});

export function modelRoutes(): OpenAPIHono<AppEnv> {
  const created = Math.floor(Date.now() / 1000);
  return createRouter().openapi(route, (c) => {
    const { llm } = contentDeps(c);
    return c.json(
      {
        object: "list" as const,
        data: [{ id: llm.model, object: "model" as const, created, owned_by: "quarry" }],
      },
      200,
    );
  });
}
