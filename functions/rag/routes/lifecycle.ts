import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { documentView } from "../../../shared/documents/serialize.ts";
import {
  cancelDocument,
  deleteDocument,
  reindexDocument,
  retryDocument,
} from "../../../shared/documents/service.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { DeletingSchema, DocumentSchema, IdParamsSchema } from "../schemas.ts";
import { malformedIdIsNotFound } from "./document-id.ts";

const common = {
  tags: ["documents"],
  security: bearerSecurity,
  middleware: [requireRole("editor")],
  request: { params: IdParamsSchema },
};

const remove = createRoute({
  ...common,
  method: "delete",
  path: "/api/rag/{id}",
  summary: "Delete a document",
  description:
    "Marks it deleting and queues the removal of its index points, blobs, chunks and row. Deleting twice is fine.",
  responses: {
    202: jsonResponse("Deletion queued", DeletingSchema),
    ...errorResponses(404),
    ...protectedErrors,
  },
});

const cancel = createRoute({
  ...common,
  method: "post",
  path: "/api/rag/{id}/cancel",
  summary: "Stop ingesting a document",
  description:
    "Pending jobs are removed; a running stage stops at its next check. 409 when not being ingested.",
  responses: {
    200: jsonResponse("The canceled document", DocumentSchema),
    ...errorResponses(404, 409),
    ...protectedErrors,
  },
});

const retry = createRoute({
  ...common,
  method: "post",
  path: "/api/rag/{id}/retry",
  summary: "Retry a failed or canceled document",
  description: "Resumes from the stage that did not finish. 409 unless the document is failed or canceled.",
  responses: {
    202: jsonResponse("The document, queued again", DocumentSchema),
    ...errorResponses(404, 409),
    ...protectedErrors,
  },
});

const reindex = createRoute({
  ...common,
  method: "post",
  path: "/api/rag/{id}/reindex",
  summary: "Embed and index a ready document again",
  description:
    "Uses the current embedding model (e.g. after a model switch). 409 unless the document is ready.",
  responses: {
    202: jsonResponse("The document, queued for embedding", DocumentSchema),
    ...errorResponses(404, 409),
    ...protectedErrors,
  },
});

export function lifecycleRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(
      remove,
      async (c) => {
        const document = await deleteDocument(
          c.get("deps").db,
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
        );
        return c.json({ id: document.id, status: "deleting" as const }, 202);
      },
      malformedIdIsNotFound,
    )
    .openapi(
      cancel,
      async (c) => {
        const document = await cancelDocument(
          c.get("deps").db,
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
        );
        return c.json(documentView(document), 200);
      },
      malformedIdIsNotFound,
    )
    .openapi(
      retry,
      async (c) => {
        const deps = c.get("deps");
        const document = await retryDocument(
          deps.db,
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
          deps.config.INGEST_MAX_ATTEMPTS,
        );
        return c.json(documentView(document), 202);
      },
      malformedIdIsNotFound,
    )
    .openapi(
      reindex,
      async (c) => {
        const deps = c.get("deps");
        const document = await reindexDocument(
          deps.db,
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
          deps.config.INGEST_MAX_ATTEMPTS,
        );
        return c.json(documentView(document), 202);
      },
      malformedIdIsNotFound,
    );
}
