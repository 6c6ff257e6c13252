import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { createRouter } from "../../shared/http/router.ts";

/** Routes under /api/auth: login, refresh, logout, me, JWKS, personal tokens, users, password. */
export function authRoutes(): OpenAPIHono<AppEnv> {
  return createRouter();
}
