import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { createRouter } from "../../shared/http/router.ts";
import { blobRoutes } from "./routes/blobs.ts";
import { completeRoutes } from "./routes/complete.ts";
import { documentRoutes } from "./routes/documents.ts";
import { lifecycleRoutes } from "./routes/lifecycle.ts";
import { searchRoutes } from "./routes/search.ts";
import { uploadRoutes } from "./routes/upload.ts";
import { uploadUrlRoutes } from "./routes/upload-url.ts";

/** Routes under /api/rag: uploads (multipart and presigned), signed blob URLs, documents and their lifecycle. */
export function ragRoutes(): OpenAPIHono<AppEnv> {
  const routes = createRouter();
  for (const group of [
    uploadRoutes(),
    uploadUrlRoutes(),
    blobRoutes(),
    completeRoutes(),
    documentRoutes(),
    lifecycleRoutes(),
    searchRoutes(),
  ]) {
    routes.route("/", group);
  }
  return routes;
}
