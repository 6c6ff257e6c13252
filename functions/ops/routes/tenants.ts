import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { recordAudit } from "../../../shared/services/audit.ts";
import { createTenantWithAdmin } from "../../../shared/services/tenants.ts";
import { CreatedTenant, NewTenant } from "../schemas.ts";

const route = createRoute({
  method: "post",
  path: "/api/admin/tenants",
  tags: ["admin"],
  summary: "Create a tenant and its first admin (platform admins)",
  security: bearerSecurity,
  middleware: [requireRole("admin")] as const,
  request: { body: jsonBody(NewTenant) },
  responses: {
    201: jsonResponse("The tenant and its admin", CreatedTenant),
    ...errorResponses(409, 422),
    ...protectedErrors,
  },
});

export function tenantRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const principal = c.get("principal");
    if (!principal.isPlatformAdmin) throw new ApiError("forbidden", "only platform admins create tenants");
    const body = c.req.valid("json");
    const deps = c.get("deps");
    const { tenant, admin } = await deps.db.transaction().execute(async (trx) => {
      const created = await createTenantWithAdmin(trx, {
        slug: body.slug,
        name: body.name,
        admin: { login: body.admin.login, password: body.admin.password, fullName: body.admin.full_name },
        passwordLogN: deps.config.PASSWORD_SCRYPT_LOG_N,
      });
      await recordAudit(trx, scopeOf(principal), {
        action: "tenant.create",
        targetType: "tenant",
        targetId: created.tenant.id,
        meta: { slug: created.tenant.slug, admin_id: created.admin.id, admin_login: created.admin.login },
      });
      return created;
    });
    return c.json(
      {
        tenant: {
          id: tenant.id,
          slug: tenant.slug,
          name: tenant.name,
          created_at: tenant.created_at.toISOString(),
        },
        admin: { id: admin.id, login: admin.login, full_name: admin.full_name, role: admin.role },
      },
      201,
    );
  });
}
