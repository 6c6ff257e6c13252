import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { abandonUpload } from "../../../shared/documents/abandon-upload.ts";
import { validateDocumentName, validateTags } from "../../../shared/documents/names.ts";
import { beginSignedUpload, signedUploadKey } from "../../../shared/documents/upload.ts";
import { fileTooLarge } from "../../../shared/documents/upload-errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { requestLog } from "../../../shared/http/request-context.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import { UploadUrlBodySchema, UploadUrlSchema, uploadTooLargeError } from "../schemas.ts";
import { UPLOAD_RATE_LIMIT } from "../upload-rules.ts";

const route = createRoute({
  method: "post",
  path: "/api/rag/upload-url",
  tags: ["documents"],
  summary: "Start a presigned upload",
  description: [
    "Creates the document (status uploading) and returns a URL to PUT the file to, with the headers the PUT",
    "must carry. Then call POST /api/rag/{id}/complete. An upload never completed is removed by maintenance",
    "once the URL has expired.",
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("editor"), rateLimit(UPLOAD_RATE_LIMIT)] as const,
  request: { body: jsonBody(UploadUrlBodySchema) },
  responses: {
    201: jsonResponse("Where and how to PUT the file", UploadUrlSchema),
    ...errorResponses(422),
    ...uploadTooLargeError,
    ...protectedErrors,
  },
});

export function uploadUrlRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const deps = contentDeps(c);
    const { UPLOAD_LIMIT_BYTES: limit, UPLOAD_URL_TTL_SECONDS: ttl } = deps.config;
    const body = c.req.valid("json");
    const name = validateDocumentName(body.name);
    const tags = validateTags(body.tags ?? []);
    if (body.size_bytes !== undefined && body.size_bytes > limit) throw fileTooLarge(limit);
    const scope = scopeOf(c.get("principal"));
    const document = await beginSignedUpload(deps.db, scope, {
      name,
      tags,
      expiresAt: new Date(Date.now() + ttl * 1000),
      declaredSize: body.size_bytes,
    });
    const key = signedUploadKey(document);
    try {
      const signed = await deps.blobStore.signedPutUrl(key, {
        expiresInSeconds: ttl,
        maxBytes: limit,
      });
      return c.json(
        {
          id: document.id,
          put_url: signed.url,
          method: signed.method,
          headers: signed.headers,
          key,
          expires_in: ttl,
        },
        201,
      );
    } catch (error) {
      await abandonUpload({ ...deps, log: requestLog(c) }, scope, document);
      throw error;
    }
  });
}
