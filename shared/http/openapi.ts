import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.ts";
import { createRouter } from "./router.ts";

export type OpenApiDocument = Record<string, unknown>;

/** One OpenAPI 3.1 document for the given route groups, generated from their route schemas. */
export function openApiDocument(groups: OpenAPIHono<AppEnv>[], version: string): OpenApiDocument {
  const all = createRouter();
  for (const group of groups) all.route("/", group);
  all.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token from POST /api/auth/login, or a personal access token (qpat_…).",
  });
  return all.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Quarry API",
      version,
      description:
        "Self-hosted RAG platform. Errors use one envelope: {error:{code,message,details},request_id}.",
    },
  }) as unknown as OpenApiDocument;
}
