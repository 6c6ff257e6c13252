import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import { jsonResponse } from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { VersionInfo } from "../schemas.ts";

const route = createRoute({
  method: "get",
  path: "/api/version",
  tags: ["ops"],
  summary: "Build, commit and the adapter serving each port",
  responses: { 200: jsonResponse("Version information", VersionInfo) },
});

export function versionRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, (c) => {
    const { config, adapters } = c.get("deps");
    return c.json(
      {
        name: "quarry" as const,
        version: config.BUILD_VERSION,
        commit: config.BUILD_COMMIT,
        node: process.version,
        adapters,
      },
      200,
    );
  });
}
