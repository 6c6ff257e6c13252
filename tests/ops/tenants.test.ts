import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAccessToken } from "../../shared/auth/jwt.ts";
import { verifyPassword } from "../../shared/auth/passwords.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { authMatrix } from "../helpers/auth-matrix.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

interface Created {
  tenant: { id: string; slug: string; name: string; created_at: string };
  admin: { id: string; login: string; full_name: string; role: string };
}

const newTenant = (slug: string, login: string) => ({
  slug,
  name: `Tenant ${slug}`,
  admin: { login, password: "correct horse battery", full_name: "First Admin" },
});

describe("POST /api/admin/tenants", () => {
  let t: TestApp;
  let platformAdmin: TestUser;
  let tenantAdmin: TestUser;
  let reader: TestUser;

  const create = (body: unknown, token = platformAdmin.token) =>
    t.call("/api/admin/tenants", { method: "POST", token, json: body });

  beforeAll(async () => {
    t = await startTestApp();
    const team = await createTeam(t.deps);
    ({ reader } = team);
    tenantAdmin = team.admin;
    platformAdmin = await createUser(t.deps, team.tenant.id, "admin", { isPlatformAdmin: true });
  });
  afterAll(() => t.close());

  authMatrix(
    () => t,
    [{ method: "POST", path: "/api/admin/tenants", minRole: "admin", body: newTenant("matrix", "matrix") }],
  );

  it("creates a tenant whose first admin can sign in and works only in the new tenant", async () => {
    const res = await create(newTenant("acme", "Alice"));
    expect(res.status).toBe(201);
    const body = await readJson<Created>(res);
    expect(body).toEqual({
      tenant: { id: expect.any(String), slug: "acme", name: "Tenant acme", created_at: expect.any(String) },
      admin: { id: expect.any(String), login: "alice", full_name: "First Admin", role: "admin" },
    });

    const user = await t.deps.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", body.admin.id)
      .executeTakeFirstOrThrow();
    expect(user).toMatchObject({ tenant_id: body.tenant.id, role: "admin", is_platform_admin: false });
    expect(await verifyPassword("correct horse battery", user.password_hash)).toBe(true);

    const token = await signAccessToken(
      t.deps.keys,
      { issuer: t.deps.config.JWT_ISSUER, audience: t.deps.config.JWT_AUDIENCE, ttlSeconds: 60 },
      { userId: user.id, tenantId: user.tenant_id, role: user.role, tokenVersion: user.token_version },
    );
    const theirAudit = await t.call("/api/admin/audit", { token });
    expect(theirAudit.status).toBe(200);
    expect((await readJson<{ items: unknown[] }>(theirAudit)).items).toEqual([]);
    const theyCannotCreateTenants = await create(newTenant("acme-2", "bob"), token);
    expect(theyCannotCreateTenants.status).toBe(403);
  });

  it("records tenant.create in the creator's tenant", async () => {
    const res = await create(newTenant("globex", "hank"));
    const body = await readJson<Created>(res);
    const audit = await t.call("/api/admin/audit?action=tenant.create", { token: platformAdmin.token });
    const items = (await readJson<{ items: Record<string, unknown>[] }>(audit)).items;
    expect(items[0]).toMatchObject({
      actor_id: platformAdmin.id,
      target_type: "tenant",
      target_id: body.tenant.id,
      meta: { slug: "globex", admin_id: body.admin.id, admin_login: "hank" },
    });
    const rows = await t.deps.db
      .selectFrom("audit_log")
      .select("tenant_id")
      .where("target_id", "=", body.tenant.id)
      .execute();
    expect(rows).toEqual([{ tenant_id: platformAdmin.tenantId }]);
  });

  it("answers 409 for a taken slug or login and leaves nothing half-created", async () => {
    expect((await create(newTenant("initech", "peter"))).status).toBe(201);

    const sameSlug = await create(newTenant("initech", "milton"));
    expect(sameSlug.status).toBe(409);
    expect(await errorCode(sameSlug)).toBe("conflict");

    const sameLogin = await create(newTenant("initrode", "PETER"));
    expect(sameLogin.status).toBe(409);
    const orphan = await t.deps.db
      .selectFrom("tenants")
      .select("id")
      .where("slug", "=", "initrode")
      .execute();
    expect(orphan).toEqual([]);
    const milton = await t.deps.db.selectFrom("users").select("id").where("login", "=", "milton").execute();
    expect(milton).toEqual([]);
  });

  it("validates the body with 422", async () => {
    const cases: [unknown, string][] = [
      [newTenant("Bad Slug", "ok-login"), "slug"],
      [newTenant("-leading-dash", "ok-login"), "slug"],
      [newTenant("x".repeat(64), "ok-login"), "slug"],
      [
        { ...newTenant("fine", "ok-login"), admin: { login: "ok", password: "short", full_name: "A" } },
        "admin.password",
      ],
      [{ slug: "fine", name: "Fine" }, "admin"],
    ];
    for (const [body, path] of cases) {
      const res = await create(body);
      expect(res.status, path).toBe(422);
      const error = await readJson<{ error: { code: string; details: { issues: { path: string }[] } } }>(res);
      expect(error.error.code).toBe("validation_failed");
      expect(error.error.details.issues.map((i) => i.path)).toContain(path);
    }
    const fine = await t.deps.db.selectFrom("tenants").select("id").where("slug", "=", "fine").execute();
    expect(fine).toEqual([]);
  });

  it("is for platform admins only: 401 without a token, 403 for tenant admins and readers", async () => {
    const anonymous = await create(newTenant("nope", "nope"), "");
    expect(anonymous.status).toBe(401);
    for (const user of [tenantAdmin, reader]) {
      const res = await create(newTenant("nope", "nope"), user.token);
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe("forbidden");
    }
    const nope = await t.deps.db.selectFrom("tenants").select("id").where("slug", "=", "nope").execute();
    expect(nope).toEqual([]);
  });
});
