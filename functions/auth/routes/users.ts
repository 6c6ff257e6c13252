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
  createTenantUser,
  deleteTenantUser,
  listUsers,
  updateTenantUser,
} from "../../../shared/services/users.ts";
import {
  CreateUserBodySchema,
  IdParamsSchema,
  ListQuerySchema,
  UpdateUserBodySchema,
  UserPageSchema,
  UserSchema,
} from "../schemas.ts";
import { userJson } from "../serialize.ts";

const adminOnly = { tags: ["users"], security: bearerSecurity, middleware: [requireRole("admin")] };

const list = createRoute({
  ...adminOnly,
  method: "get",
  path: "/api/auth/users",
  summary: "Users of the caller's tenant",
  request: { query: ListQuerySchema },
  responses: {
    200: jsonResponse("A page of users, newest first", UserPageSchema),
    ...errorResponses(400, 422),
    ...protectedErrors,
  },
});

const create = createRoute({
  ...adminOnly,
  method: "post",
  path: "/api/auth/users",
  summary: "Add a user to the caller's tenant",
  request: { body: jsonBody(CreateUserBodySchema) },
  responses: {
    201: jsonResponse("The new user", UserSchema),
    ...errorResponses(409, 422),
    ...protectedErrors,
  },
});

const update = createRoute({
  ...adminOnly,
  method: "patch",
  path: "/api/auth/users/{id}",
  summary: "Change a user's role, name or activation",
  description:
    "Changing the role or disabling the user ends their sessions. An admin cannot demote or disable " +
    "themselves (409), so the tenant keeps an admin.",
  request: { params: IdParamsSchema, body: jsonBody(UpdateUserBodySchema) },
  responses: {
    200: jsonResponse("The updated user", UserSchema),
    ...errorResponses(404, 409, 422),
    ...protectedErrors,
  },
});

const remove = createRoute({
  ...adminOnly,
  method: "delete",
  path: "/api/auth/users/{id}",
  summary: "Delete a user of the caller's tenant",
  description: "An admin cannot delete themselves (409).",
  request: { params: IdParamsSchema },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404, 409, 422), ...protectedErrors },
});

/** User administration within the caller's tenant; every change is audited in its transaction. */
export function userRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(list, async (c) => {
      const page = await listUsers(c.get("deps").db, scopeOf(c.get("principal")), c.req.valid("query"));
      return c.json({ items: page.rows.map(userJson), next_cursor: page.nextCursor }, 200);
    })
    .openapi(create, async (c) => {
      const { db, config } = c.get("deps");
      const body = c.req.valid("json");
      const user = await db.transaction().execute((trx) =>
        createTenantUser(trx, scopeOf(c.get("principal")), {
          ...body,
          passwordLogN: config.PASSWORD_SCRYPT_LOG_N,
        }),
      );
      return c.json(userJson(user), 201);
    })
    .openapi(update, async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const deps = c.get("deps");
      const user = await deps.db
        .transaction()
        .execute((trx) => updateTenantUser(trx, scopeOf(c.get("principal")), id, patch));
      deps.activeUsers.forget(id);
      return c.json(userJson(user), 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      const deps = c.get("deps");
      await deps.db.transaction().execute((trx) => deleteTenantUser(trx, scopeOf(c.get("principal")), id));
      deps.activeUsers.forget(id);
      return c.body(null, 204);
    });
}
