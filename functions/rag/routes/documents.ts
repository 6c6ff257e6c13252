import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { documentView } from "../../../shared/documents/serialize.ts";
import {
  chunkProgress,
  documentStats,
  getDocument,
  listDocuments,
} from "../../../shared/documents/service.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import {
  DocumentPageSchema,
  DocumentSchema,
  IdParamsSchema,
  ListQuerySchema,
  ProgressSchema,
  StatsSchema,
} from "../schemas.ts";
import { malformedIdIsNotFound } from "./document-id.ts";

const list = createRoute({
  method: "get",
  path: "/api/rag",
  tags: ["documents"],
  summary: "The tenant's documents, newest first",
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: jsonResponse("A page of documents", DocumentPageSchema),
    ...errorResponses(400, 422),
    ...protectedErrors,
  },
});

const stats = createRoute({
  method: "get",
  path: "/api/rag/stats/summary",
  tags: ["documents"],
  summary: "Document counts by status, bytes and chunks of the tenant",
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  responses: { 200: jsonResponse("Totals", StatsSchema), ...protectedErrors },
});

const one = createRoute({
  method: "get",
  path: "/api/rag/{id}",
  tags: ["documents"],
  summary: "One document",
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: jsonResponse("The document", DocumentSchema),
    ...errorResponses(404),
    ...protectedErrors,
  },
});

const progress = createRoute({
  method: "get",
  path: "/api/rag/{id}/progress",
  tags: ["documents"],
  summary: "Ingestion progress of a document",
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: jsonResponse("Stages, chunks, embeddings and index points so far", ProgressSchema),
    ...errorResponses(404),
    ...protectedErrors,
  },
});

export function documentRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(list, async (c) => {
      const page = await listDocuments(contentDeps(c).db, scopeOf(c.get("principal")), c.req.valid("query"));
      return c.json({ items: page.rows.map(documentView), next_cursor: page.nextCursor }, 200);
    })
    .openapi(stats, async (c) => {
      return c.json(await documentStats(contentDeps(c).db, scopeOf(c.get("principal"))), 200);
    })
    .openapi(
      one,
      async (c) => {
        const document = await getDocument(
          contentDeps(c).db,
          scopeOf(c.get("principal")),
          c.req.valid("param").id,
        );
        return c.json(documentView(document), 200);
      },
      malformedIdIsNotFound,
    )
    .openapi(
      progress,
      async (c) => {
        const deps = contentDeps(c);
        const scope = scopeOf(c.get("principal"));
        const document = await getDocument(deps.db, scope, c.req.valid("param").id);
        const model = document.embedding_model ?? deps.embedder.model;
        // Both index adapters count a collection that does not exist yet as 0 points.
        const [counts, indexed] = await Promise.all([
          chunkProgress(deps.db, scope, document, model),
          deps.vectorIndex.count(model, { tenantId: scope.tenantId, documentId: document.id }),
        ]);
        return c.json(
          {
            id: document.id,
            status: document.status,
            stage_timestamps: document.stage_timestamps,
            chunks: counts.chunks,
            embedded: counts.embedded,
            indexed,
            error: document.error,
          },
          200,
        );
      },
      malformedIdIsNotFound,
    );
}
