import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { expectUnauthorized } from "../helpers/auth-matrix.ts";
import { createTeam, createUser } from "../helpers/users.ts";

interface UserJson {
  id: string;
  login: string;
  full_name: string;
  role: string;
  is_active: boolean;
  is_platform_admin: boolean;
  created_at: string;
  updated_at: string;
}
interface UserPage {
  items: UserJson[];
  next_cursor: string | null;
}

describe("users administration", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  let foreign: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    [team, foreign] = await Promise.all([createTeam(t.deps), createTeam(t.deps)]);
  });
  afterAll(() => t.close());

  const asAdmin = (path: string, init: { method?: string; json?: unknown } = {}) =>
    t.call(path, { ...init, token: team.admin.token });
  const auditRows = (action: string, targetId: string) =>
    t.deps.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", action)
      .where("target_id", "=", targetId)
      .execute();

  it("creates a user (login lowercased), who can log in; audited without the password", async () => {
    const res = await asAdmin("/api/auth/users", {
      method: "POST",
      json: { login: "New.Person", password: "a-secret-pw", full_name: "New Person", role: "editor" },
    });
    expect(res.status).toBe(201);
    const user = await readJson<UserJson>(res);
    expect(user).toEqual({
      id: expect.any(String),
      login: "new.person",
      full_name: "New Person",
      role: "editor",
      is_active: true,
      is_platform_admin: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const tenantId = await t.deps.db
      .selectFrom("users")
      .select("tenant_id")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(tenantId.tenant_id).toBe(team.tenant.id);
    const login = await t.call("/api/auth/login", {
      method: "POST",
      json: { login: "new.person", password: "a-secret-pw" },
    });
    expect(login.status).toBe(200);

    const audit = await auditRows("user.create", user.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      tenant_id: team.tenant.id,
      actor_id: team.admin.id,
      target_type: "user",
    });
    expect(JSON.stringify(audit[0]?.meta)).not.toContain("a-secret-pw");
  });

  it("answers 409 to a login that exists (in any case) and 422 to a short password", async () => {
    const duplicate = await asAdmin("/api/auth/users", {
      method: "POST",
      json: {
        login: team.reader.login.toUpperCase(),
        password: "long-enough",
        full_name: "Dup",
        role: "reader",
      },
    });
    expect(duplicate.status).toBe(409);
    expect(await errorCode(duplicate)).toBe("conflict");
    const short = await asAdmin("/api/auth/users", {
      method: "POST",
      json: { login: "shorty", password: "1234567", full_name: "Short", role: "reader" },
    });
    expect(short.status).toBe(422);
  });

  it("pages through every user of the tenant with no duplicates or misses, ties on created_at included", async () => {
    const pagingTeam = await createTeam(t.deps);
    const admin = pagingTeam.admin;
    for (let i = 0; i < 25; i += 1) {
      const res = await t.call("/api/auth/users", {
        method: "POST",
        token: admin.token,
        json: {
          login: `pager-${pagingTeam.tenant.slug}-${i}`,
          password: "paging-pw",
          full_name: `P ${i}`,
          role: "reader",
        },
      });
      expect(res.status).toBe(201);
    }
    // Five users created in the same instant: only the id can order them.
    const sameInstant = new Date("2026-01-01T00:00:00.123456Z");
    await t.deps.db
      .insertInto("users")
      .values(
        Array.from({ length: 5 }, (_, i) => ({
          tenant_id: pagingTeam.tenant.id,
          login: `tied-${pagingTeam.tenant.slug}-${i}`,
          full_name: `Tied ${i}`,
          password_hash: "x",
          role: "reader" as const,
          created_at: sameInstant,
        })),
      )
      .execute();
    const expected = await t.deps.db
      .selectFrom("users")
      .select("id")
      .where("tenant_id", "=", pagingTeam.tenant.id)
      .execute();
    expect(expected).toHaveLength(33);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=7&cursor=${encodeURIComponent(cursor)}` : "?limit=7";
      const res = await t.call(`/api/auth/users${query}`, { token: admin.token });
      expect(res.status).toBe(200);
      const page: UserPage = await readJson<UserPage>(res);
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(5);
    const byDefault = await readJson<UserPage>(await t.call("/api/auth/users", { token: admin.token }));
    expect(byDefault.items).toHaveLength(20);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(expected.map((row) => row.id).sort());
  });

  it("refuses a limit outside 1..100 and a tampered cursor", async () => {
    const first = await readJson<UserPage>(await asAdmin("/api/auth/users?limit=1"));
    expect(first.items).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));
    for (const limit of [0, 101]) {
      expect((await asAdmin(`/api/auth/users?limit=${limit}`)).status).toBe(422);
    }
    const cursor = first.next_cursor ?? "";
    const flipped = cursor[10] === "x" ? "y" : "x";
    for (const tampered of [
      `${cursor.slice(0, 10)}${flipped}${cursor.slice(11)}`,
      cursor.slice(0, -4),
      "not-a-cursor",
    ]) {
      const res = await asAdmin(`/api/auth/users?cursor=${encodeURIComponent(tampered)}`);
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("bad_request");
    }
  });

  it("only lists the caller's tenant", async () => {
    const page = await readJson<UserPage>(await asAdmin("/api/auth/users?limit=100"));
    const ids = page.items.map((item) => item.id);
    expect(ids).toContain(team.reader.id);
    expect(ids).not.toContain(foreign.reader.id);
  });

  it("changes a role: the user's outstanding tokens die and the change is audited", async () => {
    const user = await createUser(t.deps, team.tenant.id, "editor");
    const session = await readJson<{ refresh_token: string }>(
      await t.call("/api/auth/login", {
        method: "POST",
        json: { login: user.login, password: user.password },
      }),
    );
    const res = await asAdmin(`/api/auth/users/${user.id}`, { method: "PATCH", json: { role: "reader" } });
    expect(res.status).toBe(200);
    expect((await readJson<UserJson>(res)).role).toBe("reader");
    await expectUnauthorized(await t.call("/api/auth/me", { token: user.token }));
    const refreshed = await t.call("/api/auth/refresh", {
      method: "POST",
      json: { refresh_token: session.refresh_token },
    });
    expect(refreshed.status).toBe(401);
    const audit = await auditRows("user.update", user.id);
    expect(audit.map((row) => row.meta)).toEqual([{ changes: { role: { from: "editor", to: "reader" } } }]);
  });

  it("renames without ending sessions", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const res = await asAdmin(`/api/auth/users/${user.id}`, {
      method: "PATCH",
      json: { full_name: "Renamed" },
    });
    expect((await readJson<UserJson>(res)).full_name).toBe("Renamed");
    expect((await t.call("/api/auth/me", { token: user.token })).status).toBe(200);
  });

  it("disables a user: their token dies and they cannot log in; enabling lets them back", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const res = await asAdmin(`/api/auth/users/${user.id}`, { method: "PATCH", json: { is_active: false } });
    expect((await readJson<UserJson>(res)).is_active).toBe(false);
    await expectUnauthorized(await t.call("/api/auth/me", { token: user.token }));
    const login = () =>
      t.call("/api/auth/login", { method: "POST", json: { login: user.login, password: user.password } });
    expect((await login()).status).toBe(401);
    await asAdmin(`/api/auth/users/${user.id}`, { method: "PATCH", json: { is_active: true } });
    expect((await login()).status).toBe(200);
  });

  it("refuses an empty patch", async () => {
    const res = await asAdmin(`/api/auth/users/${team.reader.id}`, { method: "PATCH", json: {} });
    expect(res.status).toBe(422);
  });

  it("does not let an admin demote, disable or delete themselves (409)", async () => {
    const self = `/api/auth/users/${team.admin.id}`;
    for (const json of [{ role: "editor" }, { is_active: false }]) {
      const res = await asAdmin(self, { method: "PATCH", json });
      expect(res.status).toBe(409);
      expect(await errorCode(res)).toBe("conflict");
    }
    expect((await asAdmin(self, { method: "DELETE" })).status).toBe(409);
    expect((await t.call("/api/auth/me", { token: team.admin.token })).status).toBe(200);
  });

  it("lets one admin demote another, and the demoted one can no longer administer", async () => {
    const other = await createUser(t.deps, team.tenant.id, "admin");
    const res = await asAdmin(`/api/auth/users/${other.id}`, { method: "PATCH", json: { role: "editor" } });
    expect(res.status).toBe(200);
    const relogin = await readJson<{ access_token: string }>(
      await t.call("/api/auth/login", {
        method: "POST",
        json: { login: other.login, password: other.password },
      }),
    );
    expect((await t.call("/api/auth/users", { token: relogin.access_token })).status).toBe(403);
  });

  it("deletes a user, with an audit row; their login is then free", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const res = await asAdmin(`/api/auth/users/${user.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    await expectUnauthorized(await t.call("/api/auth/me", { token: user.token }));
    expect((await asAdmin(`/api/auth/users/${user.id}`, { method: "DELETE" })).status).toBe(404);
    const audit = await auditRows("user.delete", user.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.meta).toEqual({ login: user.login, role: "reader" });
  });

  it("answers 404 for another tenant's user, and leaves that user alone", async () => {
    const path = `/api/auth/users/${foreign.editor.id}`;
    const patch = await asAdmin(path, { method: "PATCH", json: { role: "reader" } });
    expect(patch.status).toBe(404);
    expect(await errorCode(patch)).toBe("not_found");
    expect((await asAdmin(path, { method: "DELETE" })).status).toBe(404);
    const me = await readJson<{ role: string }>(
      await t.call("/api/auth/me", { token: foreign.editor.token }),
    );
    expect(me.role).toBe("editor");
    const audit = await auditRows("user.update", foreign.editor.id);
    expect(audit).toEqual([]);
  });
});
