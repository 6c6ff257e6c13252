import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { listAuditEntries } from "../../../shared/services/audit-query.ts";
import { AuditPage, AuditQuery } from "../schemas.ts";

const route = createRoute({
  method: "get",
  path: "/api/admin/audit",
  tags: ["admin"],
  summary: "The tenant's audit log, newest first (tenant admins)",
  security: bearerSecurity,
  middleware: [requireRole("admin")] as const,
  request: { query: AuditQuery },
  responses: {
    200: jsonResponse("A page of audit entries", AuditPage),
    ...errorResponses(400, 422),
    ...protectedErrors,
  },
});

export function auditRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = await listAuditEntries(c.get("deps").db, scopeOf(c.get("principal")), {
      filters: {
        action: query.action,
        actorId: query.actor_id,
        targetType: query.target_type,
        targetId: query.target_id,
        since: query.since === undefined ? undefined : new Date(query.since),
        until: query.until === undefined ? undefined : new Date(query.until),
      },
      limit: query.limit,
      cursor: query.cursor,
    });
    return c.json(
      {
        items: page.items.map((entry) => ({
          id: entry.id,
          actor_id: entry.actorId,
          actor_login: entry.actorLogin,
          action: entry.action,
          target_type: entry.targetType,
          target_id: entry.targetId,
          meta: entry.meta,
          created_at: entry.createdAt.toISOString(),
        })),
        next_cursor: page.nextCursor,
      },
      200,
    );
  });
}
