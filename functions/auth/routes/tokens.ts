import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import {
  createPersonalToken,
  listPersonalTokens,
  revokePersonalToken,
} from "../../../shared/services/personal-tokens.ts";
import {
  CreatedTokenSchema,
  CreateTokenBodySchema,
  IdParamsSchema,
  ListQuerySchema,
  PersonalTokenPageSchema,
} from "../schemas.ts";
import { tokenJson } from "../serialize.ts";
import { requireSessionToken } from "../session-context.ts";

const list = createRoute({
  method: "get",
  path: "/api/auth/tokens",
  tags: ["personal tokens"],
  summary: "The caller's personal access tokens (never their secrets)",
  security: bearerSecurity,
  middleware: [requireRole("reader")],
  request: { query: ListQuerySchema },
  responses: {
    200: jsonResponse("A page of tokens, newest first", PersonalTokenPageSchema),
    ...errorResponses(400, 422),
    ...protectedErrors,
  },
});

const create = createRoute({
  method: "post",
  path: "/api/auth/tokens",
  tags: ["personal tokens"],
  summary: "Create a personal access token",
  description: "Needs a login session: a personal token cannot create tokens (403).",
  security: bearerSecurity,
  middleware: [requireRole("reader"), requireSessionToken("create tokens")],
  request: { body: jsonBody(CreateTokenBodySchema) },
  responses: {
    201: jsonResponse("The token, with its secret shown this once", CreatedTokenSchema),
    ...errorResponses(422),
    ...protectedErrors,
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/api/auth/tokens/{id}",
  tags: ["personal tokens"],
  summary: "Revoke one of the caller's personal access tokens",
  security: bearerSecurity,
  middleware: [requireRole("reader")],
  request: { params: IdParamsSchema },
  responses: { 204: { description: "Revoked" }, ...errorResponses(404, 422), ...protectedErrors },
});

export function tokenRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(list, async (c) => {
      const page = await listPersonalTokens(
        c.get("deps").db,
        scopeOf(c.get("principal")),
        c.req.valid("query"),
      );
      return c.json({ items: page.rows.map(tokenJson), next_cursor: page.nextCursor }, 200);
    })
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      const created = await c
        .get("deps")
        .db.transaction()
        .execute((trx) =>
          createPersonalToken(trx, scopeOf(c.get("principal")), {
            name: body.name,
            scopes: body.scopes,
            expiresInDays: body.expires_in_days,
          }),
        );
      const { last_used_at: _unused, ...shown } = tokenJson(created);
      return c.json({ ...shown, token: created.token }, 201);
    })
    .openapi(revoke, async (c) => {
      const { id } = c.req.valid("param");
      await c
        .get("deps")
        .db.transaction()
        .execute((trx) => revokePersonalToken(trx, scopeOf(c.get("principal")), id));
      return c.body(null, 204);
    });
}
