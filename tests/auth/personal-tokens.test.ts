import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { expectUnauthorized } from "../helpers/auth-matrix.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

interface CreatedToken {
  id: string;
  name: string;
  scopes: string[];
  token: string;
  expires_at: string | null;
  created_at: string;
}

describe("personal access tokens", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  async function createToken(user: TestUser, body: Record<string, unknown>): Promise<CreatedToken> {
    const res = await t.call("/api/auth/tokens", { method: "POST", token: user.token, json: body });
    expect(res.status).toBe(201);
    return readJson<CreatedToken>(res);
  }

  it("creates a token shown once, and the token authenticates as its owner", async () => {
    const created = await createToken(team.editor, { name: "ci", scopes: ["read", "write"] });
    expect(created).toEqual({
      id: expect.any(String),
      name: "ci",
      scopes: ["read", "write"],
      token: expect.stringMatching(/^qpat_[\w-]{43}$/),
      expires_at: null,
      created_at: expect.any(String),
    });
    const me = await t.call("/api/auth/me", { token: created.token });
    expect(me.status).toBe(200);
    expect((await readJson<{ id: string }>(me)).id).toBe(team.editor.id);

    const row = await t.deps.db
      .selectFrom("personal_tokens")
      .selectAll()
      .where("id", "=", created.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(created.token);
    expect(row.last_used_at).not.toBeNull();
  });

  it("sets expires_at from expires_in_days", async () => {
    const created = await createToken(team.reader, { name: "month", scopes: ["read"], expires_in_days: 30 });
    const days = (Date.parse(created.expires_at ?? "") - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it("lists the caller's own tokens and never their secrets", async () => {
    const created = await createToken(team.reader, { name: "listed", scopes: ["read"] });
    const other = await createToken(team.editor, { name: "someone-elses", scopes: ["read"] });
    const res = await t.call("/api/auth/tokens", { token: team.reader.token });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(created.token);
    expect(text).not.toContain("token_hash");
    const page = JSON.parse(text) as { items: { id: string; name: string }[]; next_cursor: string | null };
    expect(page.items.map((item) => item.id)).toContain(created.id);
    expect(page.items.map((item) => item.id)).not.toContain(other.id);
    expect(page.items.find((item) => item.id === created.id)).toEqual({
      id: created.id,
      name: "listed",
      scopes: ["read"],
      created_at: created.created_at,
      last_used_at: null,
      expires_at: null,
    });
    expect(page.next_cursor).toBeNull();
  });

  it("caps the owner's role by the scopes: a read-scoped token of an admin gets 403 on an admin route", async () => {
    const read = await createToken(team.admin, { name: "read-only", scopes: ["read"] });
    const write = await createToken(team.admin, { name: "write", scopes: ["write"] });
    const admin = await createToken(team.admin, { name: "full", scopes: ["admin"] });
    expect((await t.call("/api/auth/users", { token: read.token })).status).toBe(403);
    expect((await t.call("/api/auth/users", { token: write.token })).status).toBe(403);
    expect((await t.call("/api/auth/users", { token: admin.token })).status).toBe(200);
  });

  it("never raises the owner's role: an admin-scoped token of a reader is still a reader", async () => {
    const token = await createToken(team.reader, { name: "ambitious", scopes: ["admin"] });
    expect((await t.call("/api/auth/users", { token: token.token })).status).toBe(403);
  });

  it("cannot create more tokens or change the password (403): only a login session can", async () => {
    const created = await createToken(team.editor, { name: "limited", scopes: ["admin"] });
    const mint = await t.call("/api/auth/tokens", {
      method: "POST",
      token: created.token,
      json: { name: "child", scopes: ["read"] },
    });
    expect(mint.status).toBe(403);
    expect(await errorCode(mint)).toBe("forbidden");
    const password = await t.call("/api/auth/password", {
      method: "POST",
      token: created.token,
      json: { current_password: team.editor.password, new_password: "something-new" },
    });
    expect(password.status).toBe(403);
  });

  it("revokes a token: it stops working, leaves the list, and a second revoke is a 404", async () => {
    const created = await createToken(team.reader, { name: "short-lived", scopes: ["read"] });
    const revoke = () =>
      t.call(`/api/auth/tokens/${created.id}`, { method: "DELETE", token: team.reader.token });
    expect((await revoke()).status).toBe(204);
    await expectUnauthorized(await t.call("/api/auth/me", { token: created.token }));
    const list = await readJson<{ items: { id: string }[] }>(
      await t.call("/api/auth/tokens", { token: team.reader.token }),
    );
    expect(list.items.map((item) => item.id)).not.toContain(created.id);
    expect((await revoke()).status).toBe(404);
  });

  it("refuses an expired token", async () => {
    const created = await createToken(team.reader, {
      name: "expiring",
      scopes: ["read"],
      expires_in_days: 1,
    });
    await t.deps.db
      .updateTable("personal_tokens")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", created.id)
      .execute();
    await expectUnauthorized(await t.call("/api/auth/me", { token: created.token }));
  });

  it("answers 404 to revoking another user's token, which keeps working", async () => {
    const theirs = await createToken(team.editor, { name: "not-yours", scopes: ["read"] });
    const res = await t.call(`/api/auth/tokens/${theirs.id}`, { method: "DELETE", token: team.admin.token });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("not_found");
    expect((await t.call("/api/auth/me", { token: theirs.token })).status).toBe(200);
  });

  it("validates scopes: at least one, each read, write or admin", async () => {
    for (const scopes of [[], ["delete-everything"]]) {
      const res = await t.call("/api/auth/tokens", {
        method: "POST",
        token: team.reader.token,
        json: { name: "bad", scopes },
      });
      expect(res.status).toBe(422);
    }
  });

  it("pages the list with an opaque cursor", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1)
      ids.push((await createToken(user, { name: `t${i}`, scopes: ["read"] })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await readJson<{ items: { id: string }[]; next_cursor: string | null }>(
        await t.call(`/api/auth/tokens${query}`, { token: user.token }),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });
});
