import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { notFound } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { JwksSchema, MeSchema } from "../schemas.ts";
import { meJson } from "../serialize.ts";

const me = createRoute({
  method: "get",
  path: "/api/auth/me",
  tags: ["auth"],
  summary: "The calling user",
  security: bearerSecurity,
  middleware: [requireRole("reader")],
  responses: {
    200: jsonResponse("The user and their tenant", MeSchema),
    ...errorResponses(422),
    ...protectedErrors,
  },
});

const jwks = createRoute({
  method: "get",
  path: "/api/auth/.well-known/jwks.json",
  tags: ["auth"],
  summary: "Public keys that verify access tokens",
  description:
    "Every key whose tokens are accepted (active and next/previous), so keys rotate without logouts.",
  responses: { 200: jsonResponse("JSON Web Key Set (public parts only)", JwksSchema) },
});

/** Who am I, and the keys that prove it. */
export function meRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(me, async (c) => {
      const user = await c.get("deps").activeUsers.get(c.get("principal").userId);
      if (!user) throw notFound("user");
      return c.json(meJson(user), 200);
    })
    .openapi(jwks, (c) => {
      c.header("Cache-Control", "public, max-age=300");
      return c.json(c.get("deps").keys.jwks, 200);
    });
}
