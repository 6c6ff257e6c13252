import type { OpenAPIHono } from "@hono/zod-openapi";
import { analyzeRoutes } from "../functions/analyze/index.ts";
import { authRoutes } from "../functions/auth/index.ts";
import { chatsRoutes } from "../functions/chats/index.ts";
import { opsRoutes } from "../functions/ops/index.ts";
import { ragRoutes } from "../functions/rag/index.ts";
import type { AppEnv } from "../shared/http/app-env.ts";
import { type OpenApiDocument, openApiDocument } from "../shared/http/openapi.ts";

/** Every function's route groups, as the all-in-one server, the docs build and the tests mount them. */
export function allRouteGroups(version: string): OpenAPIHono<AppEnv>[] {
  const groups: OpenAPIHono<AppEnv>[] = [authRoutes(), ragRoutes(), chatsRoutes(), analyzeRoutes()];
  let document: OpenApiDocument | undefined;
  const ops = opsRoutes({ apiDocument: () => (document ??= openApiDocument([...groups, ops], version)) });
  groups.push(ops);
  return groups;
}
