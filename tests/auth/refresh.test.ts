import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

interface Session {
  access_token: string;
  refresh_token: string;
  user: { id: string };
}

describe("refresh token rotation and logout", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  async function loginAs(user: TestUser): Promise<Session> {
    const res = await t.call("/api/auth/login", {
      method: "POST",
      json: { login: user.login, password: user.password },
    });
    expect(res.status).toBe(200);
    return readJson<Session>(res);
  }
  const refresh = (token: string, headers: Record<string, string> = {}) =>
    t.call("/api/auth/refresh", { method: "POST", json: { refresh_token: token }, headers });
  const logout = (token: string) =>
    t.call("/api/auth/logout", { method: "POST", json: { refresh_token: token } });

  it("rotates: a new refresh token and a working access token; the old refresh token is refused", async () => {
    const first = await loginAs(team.editor);
    const res = await refresh(first.refresh_token, { "user-agent": "rotating-client" });
    expect(res.status).toBe(200);
    const second = await readJson<Session>(res);
    expect(second.refresh_token).toMatch(/^qrt_/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.user.id).toBe(team.editor.id);
    expect((await t.call("/api/auth/me", { token: second.access_token })).status).toBe(200);

    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(401);
    expect(await errorCode(replay)).toBe("unauthorized");

    const rows = await t.deps.db
      .selectFrom("refresh_tokens")
      .selectAll()
      .where("user_id", "=", team.editor.id)
      .orderBy("issued_at")
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows[0]?.family_id).toBe(rows[1]?.family_id);
    expect(rows[0]?.used_at).not.toBeNull();
    expect(rows[0]?.replaced_by).toBe(rows[1]?.id);
    expect(rows[1]?.user_agent).toBe("rotating-client");
  });

  it("on reuse of a spent token revokes the whole family, the newest token included", async () => {
    const user = team.reader;
    const first = await loginAs(user);
    const second = await readJson<Session>(await refresh(first.refresh_token));
    const third = await readJson<Session>(await refresh(second.refresh_token));
    const otherDevice = await loginAs(user);

    expect((await refresh(first.refresh_token)).status).toBe(401);
    // The thief or the client, whoever holds the newest token: it is dead too.
    expect((await refresh(third.refresh_token)).status).toBe(401);
    // Another session (another family) of the same user is untouched.
    expect((await refresh(otherDevice.refresh_token)).status).toBe(200);
  });

  it("refuses an expired refresh token", async () => {
    const session = await loginAs(team.admin);
    await t.deps.db
      .updateTable("refresh_tokens")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("user_id", "=", team.admin.id)
      .execute();
    expect((await refresh(session.refresh_token)).status).toBe(401);
  });

  it("refuses an unknown refresh token and validates the body", async () => {
    expect((await refresh("qrt_not-a-real-token")).status).toBe(401);
    const res = await t.call("/api/auth/refresh", { method: "POST", json: {} });
    expect(res.status).toBe(422);
  });

  it("refuses the refresh token of a user disabled since, and revokes its family", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const session = await loginAs(user);
    await t.deps.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    expect((await refresh(session.refresh_token)).status).toBe(401);
    const live = await t.deps.db
      .selectFrom("refresh_tokens")
      .select("id")
      .where("user_id", "=", user.id)
      .where("revoked_at", "is", null)
      .execute();
    expect(live).toEqual([]);
  });

  it("logout revokes the family and is idempotent", async () => {
    const user = await createUser(t.deps, team.tenant.id, "editor");
    const first = await loginAs(user);
    const second = await readJson<Session>(await refresh(first.refresh_token));

    const res = await logout(second.refresh_token);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await refresh(second.refresh_token)).status).toBe(401);

    expect((await logout(second.refresh_token)).status).toBe(204);
    expect((await logout("qrt_never-issued")).status).toBe(204);
  });
});
