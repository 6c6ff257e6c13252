import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam } from "../helpers/users.ts";

interface Refusal {
  error: { code: string; details: { issues: { path: string; message: string }[] } };
}

/**
 * Quarry's own request bodies refuse fields they do not define, so a misspelt one (`size` for
 * `size_bytes`) is a 422 naming it instead of being silently ignored. The OpenAI-compatible route
 * accepts what OpenAI clients send.
 */
describe("unknown fields in request bodies", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  const cases = () => [
    { path: "/api/rag/upload-url", json: { name: "a.txt", size: 10 }, unknown: "size" },
    { path: "/api/rag/search", json: { query: "office", topk: 3 }, unknown: "topk" },
    { path: "/api/rag/search", json: { query: "office", mmr: { lamda: 0.5 } }, unknown: "lamda" },
    {
      path: "/api/auth/users",
      json: { login: "ann", full_name: "Ann", password: "long-enough-pw", role: "reader", email: "a@b" },
      unknown: "email",
    },
    { path: "/api/auth/tokens", json: { name: "ci", scopes: ["read"], expires: 30 }, unknown: "expires" },
    {
      path: "/api/auth/login",
      json: { login: "nobody", password: "x", remember: true },
      unknown: "remember",
    },
  ];

  it("are refused with 422 naming the field, on every route of Quarry's own API", async () => {
    for (const { path, json, unknown } of cases()) {
      const res = await t.call(path, { method: "POST", token: team.admin.token, json });
      expect(res.status, path).toBe(422);
      const body = await readJson<Refusal>(res);
      expect(body.error.code).toBe("validation_failed");
      expect(JSON.stringify(body.error.details.issues), path).toContain(unknown);
    }
  });

  it("are accepted by the OpenAI-compatible chat completions route", async () => {
    const res = await t.call("/v1/chat/completions", {
      method: "POST",
      token: team.reader.token,
      json: {
        model: "any",
        messages: [{ role: "user", content: "hello" }],
        user: "client-side-id",
        frequency_penalty: 0,
      },
    });
    expect(res.status).toBe(200);
  });
});
