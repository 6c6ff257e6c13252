import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import { clientIp } from "../../../shared/http/client-ip.ts";
import { errorResponses, jsonBody, jsonResponse } from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import { startSession } from "../../../shared/services/sessions.ts";
import { verifyCredentials } from "../../../shared/services/users.ts";
import { LoginBodySchema, rejectedCredentialsError, SessionSchema } from "../schemas.ts";
import { sessionJson } from "../serialize.ts";
import { clientInfo, sessionIssuer } from "../session-context.ts";

/**
 * Counted per IP + login before validation, so malformed attempts count too. The body is read here
 * (Hono caches it for the validator); one that is not JSON is counted under the IP alone.
 */
async function loginAttemptKey(c: Context<AppEnv>): Promise<string> {
  let login = "";
  try {
    const body: unknown = await c.req.json();
    if (typeof body === "object" && body !== null && "login" in body && typeof body.login === "string") {
      login = body.login.trim().toLowerCase().slice(0, 200);
    }
  } catch {
    login = "";
  }
  return `${clientIp(c)}|${login}`;
}

const login = createRoute({
  method: "post",
  path: "/api/auth/login",
  tags: ["auth"],
  summary: "Log in with login and password",
  description:
    "An unknown login, a wrong password and a disabled user get the same 401 after the same work. " +
    "Rate limited per IP and login (RATE_LIMIT_LOGIN).",
  middleware: [
    rateLimit({ name: "login", policy: (config) => config.RATE_LIMIT_LOGIN, key: loginAttemptKey }),
  ],
  request: { body: jsonBody(LoginBodySchema) },
  responses: {
    200: jsonResponse("Access and refresh tokens, and the user", SessionSchema),
    ...rejectedCredentialsError,
    ...errorResponses(422, 429),
  },
});

export function loginRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(login, async (c) => {
    const { db, config } = c.get("deps");
    const body = c.req.valid("json");
    const user = await verifyCredentials(db, {
      login: body.login,
      password: body.password,
      passwordLogN: config.PASSWORD_SCRYPT_LOG_N,
    });
    if (!user) throw new ApiError("unauthorized", "invalid login or password");
    const session = await startSession(db, sessionIssuer(c), { user, client: clientInfo(c) });
    return c.json(sessionJson(session), 200);
  });
}
