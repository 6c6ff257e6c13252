import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { searchChunks } from "../../../shared/retrieval/search.ts";
import { searchItemView } from "../../../shared/retrieval/types.ts";

const tag = z.string().min(1).max(64);

const SearchBodySchema = z
  .strictObject({
    query: z.string().optional().openapi({
      description: 'What to look for; web-search syntax in lexical matching ("exact phrase", or, -not)',
      example: "how do I rotate signing keys",
    }),
    text: z.string().optional().openapi({ description: "Alias of `query` (used when `query` is absent)" }),
    top_k: z.number().int().min(1).max(100).default(5),
    min_score: z.number().min(-1).max(1).optional().openapi({
      description:
        "vector and hybrid: least cosine similarity of the vector list; lexical: least text rank (0–1)",
    }),
    mode: z.enum(["hybrid", "vector", "lexical"]).default("hybrid"),
    mmr: z
      .union([z.boolean(), z.strictObject({ lambda: z.number().min(0).max(1).optional() })])
      .default(false)
      .openapi({
        description: "Re-rank for diversity; `{lambda}` weighs relevance (1) against diversity (0)",
      }),
    doc_id: z
      .union([z.uuid(), z.array(z.uuid()).min(1).max(100)])
      .optional()
      .openapi({ description: "Only this document (or these)" }),
    tags: z
      .union([tag, z.array(tag).min(1).max(32)])
      .optional()
      .openapi({ description: "Only documents carrying at least one of these tags" }),
    cursor: z
      .string()
      .max(1024)
      .optional()
      .openapi({ description: "Opaque: the next_cursor of the previous page of the same search" }),
  })
  .openapi("SearchRequest");

const SearchItemSchema = z
  .object({
    document_id: z.uuid(),
    document_name: z.string(),
    chunk_id: z.uuid(),
    chunk_idx: z.number().int(),
    page: z.number().int().nullable(),
    score: z.number().openapi({
      description:
        "vector: cosine similarity; lexical: text rank in [0, 1); hybrid: fused rank score in (0, 1]",
    }),
    snippet: z.string().openapi({
      description: "HTML-safe passage: text escaped, terms matched by the text query in <mark>…</mark>",
    }),
  })
  .openapi("SearchItem");

const SearchPageSchema = z
  .object({ items: z.array(SearchItemSchema), next_cursor: z.string().nullable() })
  .openapi("SearchPage");

const route = createRoute({
  method: "post",
  path: "/api/rag/search",
  tags: ["search"],
  summary: "Search the tenant's ready documents",
  description: [
    "hybrid (default) fuses the vector and the lexical list by reciprocal rank fusion; vector uses the active",
    "embedding model's index; lexical uses Postgres full-text search. Pass next_cursor back as `cursor`",
    "(with the same query and parameters) for the next page.",
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  request: { body: jsonBody(SearchBodySchema) },
  responses: {
    200: jsonResponse("A page of matching passages, best first", SearchPageSchema),
    ...errorResponses(400, 413, 422),
    ...protectedErrors,
  },
});

const asList = <T>(value: T | T[] | undefined): T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

export function searchRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const deps = contentDeps(c);
    const body = c.req.valid("json");
    const query = body.query ?? body.text;
    if (query === undefined) {
      throw new ApiError("validation_failed", "query is required", { field: "query" });
    }
    const page = await searchChunks(deps, scopeOf(c.get("principal")), {
      query,
      topK: body.top_k,
      mode: body.mode,
      minScore: body.min_score,
      mmr:
        body.mmr === false
          ? false
          : { lambda: (body.mmr === true ? undefined : body.mmr.lambda) ?? deps.config.MMR_LAMBDA },
      documentIds: asList(body.doc_id),
      tags: asList(body.tags),
      cursor: body.cursor,
    });
    return c.json(
      {
        items: page.items.map(searchItemView),
        next_cursor: page.nextCursor,
      },
      200,
    );
  });
}
