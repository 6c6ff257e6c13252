import type { OpenAPIHono } from "@hono/zod-openapi";
import { authRoutes } from "../functions/auth/index.ts";
import { opsRoutes } from "../functions/ops/index.ts";
import type { AppEnv } from "../shared/http/app-env.ts";
import { type OpenApiDocument, openApiDocument } from "../shared/http/openapi.ts";

/** Every function's route groups, as the all-in-one server, the docs build and the tests mount them. */
export function allRouteGroups(version: string): OpenAPIHono<AppEnv>[] {
  const groups: OpenAPIHono<AppEnv>[] = [authRoutes()];
  let document: OpenApiDocument | undefined;
  const ops = opsRoutes({ apiDocument: () => (document ??= openApiDocument([...groups, ops], version)) });
  groups.push(ops);
  return groups;
}
