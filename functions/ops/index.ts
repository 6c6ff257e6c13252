import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../shared/http/app-env.ts";
import type { OpenApiDocument } from "../../shared/http/openapi.ts";
import { createRouter } from "../../shared/http/router.ts";
import { auditRoutes } from "./routes/audit.ts";
import { docsRoutes } from "./routes/docs.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { versionRoutes } from "./routes/version.ts";

export interface OpsOptions {
  /** The OpenAPI document of every function (built lazily: it includes these routes too). */
  apiDocument: () => OpenApiDocument;
}

/** Routes of the ops function: version, API docs, admin audit and tenants. */
export function opsRoutes(options: OpsOptions): OpenAPIHono<AppEnv> {
  return createRouter()
    .route("/", versionRoutes())
    .route("/", docsRoutes(options.apiDocument))
    .route("/", auditRoutes())
    .route("/", tenantRoutes());
}
