import { type CryptoKey, type JWTHeaderParameters, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningJwk, keySetFromJwks } from "../../shared/auth/keys.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { expectUnauthorized, expiredAccessToken } from "../helpers/auth-matrix.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";

describe("access tokens", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  const me = (token: string) => t.call("/api/auth/me", { token });

  /** A token like the app's own, with the given header, claims or key changed. */
  async function forge(
    user: TestUser,
    changes: {
      header?: Partial<JWTHeaderParameters>;
      claims?: Record<string, unknown>;
      key?: CryptoKey | Uint8Array;
    } = {},
  ): Promise<string> {
    const { signing } = t.deps.keys;
    const claims = {
      sub: user.id,
      tid: user.tenantId,
      role: user.role,
      ver: 0,
      iss: t.deps.config.JWT_ISSUER,
      aud: t.deps.config.JWT_AUDIENCE,
      ...changes.claims,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: "at+jwt", ...changes.header })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(changes.key ?? signing.key);
  }

  it("accepts a well-formed token (the forgery baseline is sound)", async () => {
    const res = await me(await forge(team.reader));
    expect(res.status).toBe(200);
  });

  it("GET /api/auth/me describes the caller and their tenant", async () => {
    const res = await me(team.admin.token);
    expect(await readJson(res)).toEqual({
      id: team.admin.id,
      login: team.admin.login,
      full_name: "Test admin",
      role: "admin",
      tenant: { id: team.tenant.id, slug: team.tenant.slug, name: team.tenant.name },
      is_platform_admin: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("refuses an expired token", async () => {
    await expectUnauthorized(await me(await expiredAccessToken(t.deps, team.reader)));
  });

  it("refuses a token whose signature was tampered with", async () => {
    const token = await forge(team.reader);
    const [header, payload, signature = ""] = token.split(".");
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === "A" ? "B" : "A";
    const tampered = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
    await expectUnauthorized(await me(tampered));
  });

  it("refuses a token whose claims were edited (role raised) under the original signature", async () => {
    const token = await forge(team.reader);
    const [header, payload = "", signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, sub: team.admin.id })).toString("base64url");
    await expectUnauthorized(await me(`${header}.${raised}.${signature}`));
  });

  it("refuses an unsigned `alg: none` token", async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const header = encode({ alg: "none", typ: "at+jwt", kid: t.deps.keys.signing.kid });
    const payload = encode({
      sub: team.admin.id,
      tid: team.tenant.id,
      ver: 0,
      iss: t.deps.config.JWT_ISSUER,
      aud: t.deps.config.JWT_AUDIENCE,
      iat: now,
      exp: now + 300,
    });
    await expectUnauthorized(await me(`${header}.${payload}.`));
  });

  it("refuses an HS256 token keyed with the public key (algorithm confusion)", async () => {
    const publicJwk = JSON.stringify(t.deps.keys.jwks.keys[0]);
    const token = await forge(team.reader, {
      header: { alg: "HS256" },
      key: new TextEncoder().encode(publicJwk),
    });
    await expectUnauthorized(await me(token));
  });

  it("refuses a token with an unknown kid, or none", async () => {
    await expectUnauthorized(await me(await forge(team.reader, { header: { kid: "no-such-key" } })));
    await expectUnauthorized(await me(await forge(team.reader, { header: { kid: undefined } })));
  });

  it("refuses a token signed by a foreign key, even one claiming our kid", async () => {
    const foreign = await keySetFromJwks([await generateSigningJwk(t.deps.keys.signing.kid)]);
    await expectUnauthorized(await me(await forge(team.reader, { key: foreign.signing.key })));
  });

  it("refuses a token of another type (typ)", async () => {
    await expectUnauthorized(await me(await forge(team.reader, { header: { typ: "JWT" } })));
  });

  it("refuses a token for another audience or from another issuer", async () => {
    await expectUnauthorized(await me(await forge(team.reader, { claims: { aud: "another-api" } })));
    await expectUnauthorized(await me(await forge(team.reader, { claims: { iss: "someone-else" } })));
  });

  it("refuses a token whose tenant claim does not match the user's tenant", async () => {
    const other = await createTeam(t.deps);
    await expectUnauthorized(await me(await forge(team.reader, { claims: { tid: other.tenant.id } })));
  });

  it("refuses the still-unexpired token of a user disabled by another process, within AUTH_USER_CACHE_MS", async () => {
    const user = await createUser(t.deps, team.tenant.id, "editor");
    expect((await me(user.token)).status).toBe(200);
    // Straight in the database, as another process would: this process sees it once its copy expires.
    await t.deps.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    const disabledAt = Date.now();
    await expect.poll(async () => (await me(user.token)).status, { timeout: 3000, interval: 100 }).toBe(401);
    expect(Date.now() - disabledAt).toBeLessThan(t.deps.config.AUTH_USER_CACHE_MS + 1000);
    await expectUnauthorized(await me(user.token));
  });

  describe("POST /api/auth/password", () => {
    const change = (token: string, body: unknown) =>
      t.call("/api/auth/password", { method: "POST", token, json: body });

    it("answers 401 to a wrong current password and changes nothing", async () => {
      const user = await createUser(t.deps, team.tenant.id, "reader");
      const res = await change(user.token, {
        current_password: "not-my-password",
        new_password: "new-password-1",
      });
      expect(res.status).toBe(401);
      const body = await readJson<{ error: { code: string; message: string; details: unknown } }>(res);
      expect(body.error).toEqual({
        code: "unauthorized",
        message: "current password is wrong",
        details: { field: "current_password" },
      });
      expect((await me(user.token)).status).toBe(200);
    });

    it("refuses a new password under 8 characters", async () => {
      const user = await createUser(t.deps, team.tenant.id, "reader");
      const res = await change(user.token, { current_password: user.password, new_password: "short" });
      expect(res.status).toBe(422);
    });

    it("changes the password and ends every outstanding session (token_version bump)", async () => {
      const user = await createUser(t.deps, team.tenant.id, "reader");
      const login = (password: string) =>
        t.call("/api/auth/login", { method: "POST", json: { login: user.login, password } });
      const session = await readJson<{ access_token: string; refresh_token: string }>(
        await login(user.password),
      );

      const res = await change(session.access_token, {
        current_password: user.password,
        new_password: "brand-new-pw",
      });
      expect(res.status).toBe(204);

      await expectUnauthorized(await me(session.access_token));
      await expectUnauthorized(await me(user.token));
      const refreshed = await t.call("/api/auth/refresh", {
        method: "POST",
        json: { refresh_token: session.refresh_token },
      });
      expect(refreshed.status).toBe(401);
      expect((await login(user.password)).status).toBe(401);
      expect((await login("brand-new-pw")).status).toBe(200);

      const audit = await t.deps.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "user.password_change")
        .where("actor_id", "=", user.id)
        .execute();
      expect(audit).toHaveLength(1);
      expect(JSON.stringify(audit[0]?.meta)).not.toContain("brand-new-pw");
    });
  });
});
