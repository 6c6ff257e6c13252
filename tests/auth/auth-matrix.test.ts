import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { authMatrix, type MatrixBase } from "../helpers/auth-matrix.ts";
import type { TestUser } from "../helpers/users.ts";

describe("auth routes", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function tokenOf(user: TestUser): Promise<string> {
    const res = await t.call("/api/auth/tokens", {
      method: "POST",
      token: user.token,
      json: { name: "matrix", scopes: ["read"] },
    });
    return (await readJson<{ id: string }>(res)).id;
  }

  authMatrix(
    () => t,
    [
      { method: "GET", path: "/api/auth/me", minRole: "reader" },
      { method: "GET", path: "/api/auth/tokens", minRole: "reader" },
      { method: "POST", path: "/api/auth/tokens", minRole: "reader", body: { name: "x", scopes: ["read"] } },
      {
        method: "DELETE",
        path: (ctx) => `/api/auth/tokens/${ctx.fixtures.ownToken}`,
        minRole: "reader",
        foreignPath: (ctx) => `/api/auth/tokens/${ctx.fixtures.foreignToken}`,
      },
      {
        method: "POST",
        path: "/api/auth/password",
        minRole: "reader",
        body: { current_password: "whatever-pw", new_password: "another-pw" },
      },
      { method: "GET", path: "/api/auth/users", minRole: "admin" },
      {
        method: "POST",
        path: "/api/auth/users",
        minRole: "admin",
        body: { login: "matrix-user", password: "matrix-pw", full_name: "M", role: "reader" },
      },
      {
        method: "PATCH",
        path: (ctx) => `/api/auth/users/${ctx.team.reader.id}`,
        minRole: "admin",
        body: { full_name: "Changed" },
        foreignPath: (ctx) => `/api/auth/users/${ctx.foreign.reader.id}`,
      },
      {
        method: "DELETE",
        path: (ctx) => `/api/auth/users/${ctx.team.reader.id}`,
        minRole: "admin",
        foreignPath: (ctx) => `/api/auth/users/${ctx.foreign.reader.id}`,
      },
    ],
    {
      fixtures: async ({ team, foreign }: MatrixBase) => ({
        ownToken: await tokenOf(team.reader),
        foreignToken: await tokenOf(foreign.reader),
      }),
    },
  );

  it("leaves the public routes open (login, refresh, logout, JWKS)", async () => {
    const jwks = await t.call("/api/auth/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    const logout = await t.call("/api/auth/logout", {
      method: "POST",
      json: { refresh_token: "qrt_unknown" },
    });
    expect(logout.status).toBe(204);
    const login = await t.call("/api/auth/login", {
      method: "POST",
      json: { login: "nobody-here", password: "pw" },
    });
    expect((await readJson<{ error: { message: string } }>(login)).error.message).toBe(
      "invalid login or password",
    );
  });

  it("describes every auth route in the OpenAPI document", async () => {
    const { openApiDocument } = await import("../../shared/http/openapi.ts");
    const { authRoutes } = await import("../../functions/auth/index.ts");
    const doc = openApiDocument([authRoutes()], "test") as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/auth/.well-known/jwks.json",
      "/api/auth/login",
      "/api/auth/logout",
      "/api/auth/me",
      "/api/auth/password",
      "/api/auth/refresh",
      "/api/auth/tokens",
      "/api/auth/tokens/{id}",
      "/api/auth/users",
      "/api/auth/users/{id}",
    ]);
    expect(Object.keys(doc.paths["/api/auth/users/{id}"] ?? {}).sort()).toEqual(["delete", "patch"]);
  });
});
