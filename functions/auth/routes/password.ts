import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { changePassword } from "../../../shared/services/users.ts";
import { ChangePasswordBodySchema } from "../schemas.ts";
import { requireSessionToken } from "../session-context.ts";

const change = createRoute({
  method: "post",
  path: "/api/auth/password",
  tags: ["auth"],
  summary: "Change the caller's password",
  description:
    "Needs a login session (a personal token gets 403). A wrong current password is a 401. " +
    "Success ends every session of the user, this one included: log in again with the new password.",
  security: bearerSecurity,
  middleware: [requireRole("reader"), requireSessionToken("change the password")],
  request: { body: jsonBody(ChangePasswordBodySchema) },
  responses: {
    204: { description: "Changed; outstanding sessions ended" },
    ...errorResponses(422),
    ...protectedErrors,
  },
});

export function passwordRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(change, async (c) => {
    const { db, config, activeUsers } = c.get("deps");
    const body = c.req.valid("json");
    const scope = scopeOf(c.get("principal"));
    await db.transaction().execute((trx) =>
      changePassword(trx, scope, {
        currentPassword: body.current_password,
        newPassword: body.new_password,
        passwordLogN: config.PASSWORD_SCRYPT_LOG_N,
      }),
    );
    activeUsers.forget(scope.userId);
    return c.body(null, 204);
  });
}
