import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { completeSignedUpload } from "../../../shared/documents/complete-upload.ts";
import { documentView } from "../../../shared/documents/serialize.ts";
import { getDocument } from "../../../shared/documents/service.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { requestLog } from "../../../shared/http/request-context.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { DocumentSchema, IdParamsSchema, uploadTooLargeError } from "../schemas.ts";
import { malformedIdIsNotFound } from "./document-id.ts";

const route = createRoute({
  method: "post",
  path: "/api/rag/{id}/complete",
  tags: ["documents"],
  summary: "Complete a presigned upload",
  description: [
    "Checks the PUT arrived, hashes the stored file and queues the document for ingestion (202).",
    "Only a document in status uploading can be completed: calling it again after it succeeded answers 409",
    "with `details.status` (the document's current status), so a client that lost the first answer can tell",
    "it went through. No file yet → 409; an empty file → 422 and one over the limit → 413, both removing",
    "the document; a file of another size than the upload declared → 422, the upload staying open for",
    "another PUT; identical content already in the tenant → 409 with `details.document_id`.",
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("editor")] as const,
  request: { params: IdParamsSchema },
  responses: {
    202: jsonResponse("The document, queued for ingestion", DocumentSchema),
    ...errorResponses(404, 409, 422),
    ...uploadTooLargeError,
    ...protectedErrors,
  },
});

export function completeRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(
    route,
    async (c) => {
      const deps = contentDeps(c);
      const scope = scopeOf(c.get("principal"));
      const document = await getDocument(deps.db, scope, c.req.valid("param").id);
      const queued = await completeSignedUpload({ ...deps, log: requestLog(c) }, scope, document, {
        maxBytes: deps.config.UPLOAD_LIMIT_BYTES,
        maxAttempts: deps.config.INGEST_MAX_ATTEMPTS,
      });
      return c.json(documentView(queued), 202);
    },
    malformedIdIsNotFound,
  );
}
