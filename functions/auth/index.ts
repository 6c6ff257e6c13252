import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { createRouter } from "../../shared/http/router.ts";
import { loginRoutes } from "./routes/login.ts";
import { meRoutes } from "./routes/me.ts";
import { passwordRoutes } from "./routes/password.ts";
import { refreshRoutes } from "./routes/refresh.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { userRoutes } from "./routes/users.ts";

/** Routes under /api/auth: login, refresh, logout, me, JWKS, personal tokens, users, password. */
export function authRoutes(): OpenAPIHono<AppEnv> {
  const routes = createRouter();
  for (const group of [
    loginRoutes(),
    refreshRoutes(),
    meRoutes(),
    tokenRoutes(),
    userRoutes(),
    passwordRoutes(),
  ]) {
    routes.route("/", group);
  }
  return routes;
}
