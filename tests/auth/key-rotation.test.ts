import { decodeProtectedHeader, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningJwk } from "../../shared/auth/keys.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createTeam } from "../helpers/users.ts";

/** Rotation as an operator does it: the new key signs, the old key's public half still verifies. */
describe("signing key rotation without logouts", () => {
  let database: TestDatabase;
  let before: TestApp;
  let after: TestApp;
  let oldKey: JWK;
  let newKey: JWK;
  beforeAll(async () => {
    database = await createTestDatabase();
    oldKey = await generateSigningJwk("key-2025");
    newKey = await generateSigningJwk("key-2026");
    const { d: _private, ...oldPublic } = oldKey;
    before = await startTestApp({ database, env: { JWT_KEYS: JSON.stringify([oldKey]) } });
    after = await startTestApp({ database, env: { JWT_KEYS: JSON.stringify([newKey, oldPublic]) } });
  });
  afterAll(async () => {
    await before.close();
    await after.close();
    await database.drop();
  });

  it("accepts old tokens, signs new ones with the new kid, and publishes both keys", async () => {
    const team = await createTeam(before.deps);
    const login = await before.call("/api/auth/login", {
      method: "POST",
      json: { login: team.editor.login, password: team.editor.password },
    });
    const session = await readJson<{ access_token: string; refresh_token: string }>(login);
    expect(decodeProtectedHeader(session.access_token).kid).toBe("key-2025");

    // The rotated deployment still accepts the token signed before the rotation…
    const me = await after.call("/api/auth/me", { token: session.access_token });
    expect(me.status).toBe(200);
    expect((await readJson<{ id: string }>(me)).id).toBe(team.editor.id);

    // …and the session carries on there, now signed with the new key.
    const refreshed = await after.call("/api/auth/refresh", {
      method: "POST",
      json: { refresh_token: session.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const next = await readJson<{ access_token: string }>(refreshed);
    expect(decodeProtectedHeader(next.access_token).kid).toBe("key-2026");
    expect((await after.call("/api/auth/me", { token: next.access_token })).status).toBe(200);
    // A deployment that has not learned the new key yet does not accept it.
    expect((await before.call("/api/auth/me", { token: next.access_token })).status).toBe(401);

    const jwksRes = await after.call("/api/auth/.well-known/jwks.json");
    expect(jwksRes.status).toBe(200);
    expect(jwksRes.headers.get("cache-control")).toContain("max-age=300");
    const jwks = await readJson<{ keys: JWK[] }>(jwksRes);
    expect(jwks.keys.map((key) => key.kid)).toEqual(["key-2026", "key-2025"]);
    for (const key of jwks.keys) {
      expect(key.d).toBeUndefined();
      expect(key).toMatchObject({ kty: "OKP", alg: "EdDSA", use: "sig" });
    }
    expect(jwks.keys[0]?.x).toBe(newKey.x);
  });
});
