import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import { errorResponses, jsonBody, jsonResponse } from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { endSession, rotateSession } from "../../../shared/services/sessions.ts";
import { RefreshBodySchema, rejectedCredentialsError, SessionSchema } from "../schemas.ts";
import { sessionJson } from "../serialize.ts";
import { clientInfo, sessionIssuer } from "../session-context.ts";

const refresh = createRoute({
  method: "post",
  path: "/api/auth/refresh",
  tags: ["auth"],
  summary: "Exchange a refresh token for new tokens",
  description:
    "Rotation: the presented refresh token is spent and a new one returned. Presenting a spent or " +
    "revoked token revokes every token of its family (RFC 9700 §4.14).",
  request: { body: jsonBody(RefreshBodySchema) },
  responses: {
    200: jsonResponse("New access and refresh tokens", SessionSchema),
    ...rejectedCredentialsError,
    ...errorResponses(422, 429),
  },
});

const logout = createRoute({
  method: "post",
  path: "/api/auth/logout",
  tags: ["auth"],
  summary: "End a session",
  description: "Revokes the refresh token's family. Idempotent: an unknown token also answers 204.",
  request: { body: jsonBody(RefreshBodySchema) },
  responses: { 204: { description: "Logged out" }, ...errorResponses(422, 429) },
});

/** Refresh and logout: the routes that take a refresh token instead of a bearer token. */
export function refreshRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(refresh, async (c) => {
      const session = await rotateSession(c.get("deps").db, sessionIssuer(c), {
        refreshToken: c.req.valid("json").refresh_token,
        client: clientInfo(c),
      });
      return c.json(sessionJson(session), 200);
    })
    .openapi(logout, async (c) => {
      await endSession(c.get("deps").db, { refreshToken: c.req.valid("json").refresh_token });
      return c.body(null, 204);
    });
}
