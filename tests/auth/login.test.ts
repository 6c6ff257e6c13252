import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyPassword } from "../../shared/auth/passwords.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, createUser } from "../helpers/users.ts";

vi.mock("../../shared/auth/passwords.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../shared/auth/passwords.ts")>();
  return { ...original, verifyPassword: vi.fn(original.verifyPassword) };
});
const verifySpy = vi.mocked(verifyPassword);
/** Rate-limit counters may live in a shared Redis: logins of this run must not meet a previous run's. */
const suffix = randomBytes(4).toString("hex");

interface Session {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: {
    id: string;
    full_name: string;
    login: string;
    role: string;
    tenant: { id: string; slug: string; name: string };
  };
}

describe("POST /api/auth/login", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_LOGIN: "4/60s" } });
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  const login = (body: unknown, headers: Record<string, string> = {}) =>
    t.call("/api/auth/login", { method: "POST", json: body, headers });

  it("answers tokens and the user for the right password, and the access token works", async () => {
    const res = await login({ login: team.editor.login, password: team.editor.password });
    expect(res.status).toBe(200);
    const body = await readJson<Session>(res);
    expect(body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^qrt_/),
      token_type: "bearer",
      expires_in: 900,
      user: {
        id: team.editor.id,
        full_name: "Test editor",
        login: team.editor.login,
        role: "editor",
        tenant: { id: team.tenant.id, slug: team.tenant.slug, name: team.tenant.name },
      },
    });
    const me = await t.call("/api/auth/me", { token: body.access_token });
    expect(me.status).toBe(200);
    expect((await readJson<{ id: string }>(me)).id).toBe(team.editor.id);
  });

  it("stores the refresh token hashed, with the client's user agent and address", async () => {
    const res = await login(
      { login: team.reader.login, password: team.reader.password },
      { "user-agent": "ua-test/1" },
    );
    const { refresh_token } = await readJson<Session>(res);
    const rows = await t.deps.db
      .selectFrom("refresh_tokens")
      .selectAll()
      .where("user_id", "=", team.reader.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).not.toContain(refresh_token);
    expect(rows[0]?.user_agent).toBe("ua-test/1");
    expect(rows[0]?.ip).toMatch(/127\.0\.0\.1|::1/);
  });

  it("matches the login case-insensitively (logins are stored lowercase)", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader", { login: "mixed.case@example.com" });
    const res = await login({ login: "  Mixed.Case@Example.COM ", password: user.password });
    expect(res.status).toBe(200);
  });

  it("gives a wrong password, an unknown login and a disabled user the very same 401", async () => {
    const disabled = await createUser(t.deps, team.tenant.id, "editor");
    await t.deps.db.updateTable("users").set({ is_active: false }).where("id", "=", disabled.id).execute();
    const answers = await Promise.all([
      login({ login: team.admin.login, password: "wrong-password" }),
      login({ login: `nobody-${suffix}`, password: "whatever-password" }),
      login({ login: disabled.login, password: disabled.password }),
    ]);
    const bodies = [];
    for (const res of answers) {
      expect(res.status).toBe(401);
      const body = await readJson<{ error: unknown; request_id: string }>(res);
      bodies.push(body.error);
    }
    expect(bodies[0]).toEqual({ code: "unauthorized", message: "invalid login or password", details: {} });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it("spends the same scrypt work on an unknown login as on a known one", async () => {
    verifySpy.mockClear();
    await login({ login: `ghost-${suffix}`, password: "some-password" });
    await login({ login: team.admin.login, password: "some-password" });
    expect(verifySpy).toHaveBeenCalledTimes(2);
    const [unknownHash, knownHash] = verifySpy.mock.calls.map((call) =>
      call[1].split("$").slice(0, 4).join("$"),
    );
    // Same scheme and cost parameters: the dummy hash costs what a real one does.
    expect(unknownHash).toBe(knownHash);
  });

  it("validates the body into the error envelope", async () => {
    const res = await login({ login: "" });
    expect(res.status).toBe(422);
    const body = await readJson<{ error: { code: string; details: { issues: { path: string }[] } } }>(res);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.issues.map((issue) => issue.path).sort()).toEqual(["login", "password"]);
  });

  it("rate limits per IP and login: 429 with Retry-After and the IETF headers", async () => {
    const attempt = (who: string) => login({ login: `${who}-${suffix}`, password: "wrong-password" });
    for (let i = 0; i < 4; i += 1) {
      const res = await attempt(i % 2 ? "Target-User" : "target-user");
      expect(res.status).toBe(401);
      expect(res.headers.get("ratelimit-policy")).toBe('"login";q=4;w=60');
    }
    const limited = await attempt("TARGET-user");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("ratelimit-policy")).toBe('"login";q=4;w=60');
    expect(limited.headers.get("ratelimit")).toMatch(/^"login";r=0;t=\d+$/);
    expect((await readJson<{ error: { code: string } }>(limited)).error.code).toBe("rate_limited");
    // Another login from the same address has its own budget.
    expect((await attempt("someone-else")).status).toBe(401);
  });
});
