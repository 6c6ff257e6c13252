import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { createRouter } from "../../shared/http/router.ts";
import { analysisRoutes } from "./routes/analyses.ts";
import { lifecycleRoutes } from "./routes/lifecycle.ts";
import { submitRoutes } from "./routes/submit.ts";

/** Routes under /api/analyze: submit (file, text or URL), list, read, delete, cancel, retry. */
export function analyzeRoutes(): OpenAPIHono<AppEnv> {
  const routes = createRouter();
  for (const group of [submitRoutes(), analysisRoutes(), lifecycleRoutes()]) routes.route("/", group);
  return routes;
}
