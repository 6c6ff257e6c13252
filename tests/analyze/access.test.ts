import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnalysis } from "../../shared/analysis/service.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { authMatrix, type MatrixContext, type MatrixRoute, type Team } from "../helpers/auth-matrix.ts";
import { createTeam } from "../helpers/users.ts";
import type { AnalysisJson, ErrorJson } from "./helpers.ts";
import { accepted, submit } from "./helpers.ts";

interface Fixtures {
  ours: string;
  theirs: string;
}
type Ctx = MatrixContext<Fixtures>;

/** A queued analysis of `team`'s tenant, straight through the service (no worker runs in this file). */
async function queuedAnalysis(t: TestApp, team: Team): Promise<string> {
  const scope = { tenantId: team.tenant.id, userId: team.editor.id, role: "editor" as const };
  const row = await createAnalysis(
    t.deps.db,
    scope,
    {
      id: randomUUID(),
      source: { kind: "url", name: "x", url: "https://example.com/x" },
      blobKey: null,
      params: {},
    },
    1,
  );
  return row.id;
}

const ours =
  (suffix = "") =>
  (ctx: Ctx) =>
    `/api/analyze/${ctx.fixtures.ours}${suffix}`;
const theirs =
  (suffix = "") =>
  (ctx: Ctx) =>
    `/api/analyze/${ctx.fixtures.theirs}${suffix}`;

const routes: MatrixRoute<Fixtures>[] = [
  { method: "POST", path: "/api/analyze", minRole: "editor", body: { text: "Matrix text to analyse." } },
  { method: "GET", path: "/api/analyze", minRole: "editor" },
  { name: "GET /api/analyze/{id}", method: "GET", path: ours(), foreignPath: theirs(), minRole: "editor" },
  {
    name: "DELETE /api/analyze/{id}",
    method: "DELETE",
    path: ours(),
    foreignPath: theirs(),
    minRole: "editor",
  },
  {
    name: "POST /api/analyze/{id}/cancel",
    method: "POST",
    path: ours("/cancel"),
    foreignPath: theirs("/cancel"),
    minRole: "editor",
  },
  {
    name: "POST /api/analyze/{id}/retry",
    method: "POST",
    path: ours("/retry"),
    foreignPath: theirs("/retry"),
    minRole: "editor",
  },
];

describe("analyze routes", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_ANALYZE: "1000/60s" } });
  });
  afterAll(async () => {
    await t.close();
  });

  authMatrix<Fixtures>(() => t, routes, {
    fixtures: async ({ app, team, foreign }) => ({
      ours: await queuedAnalysis(app, team),
      theirs: await queuedAnalysis(app, foreign),
    }),
  });

  describe("tenant isolation", () => {
    it("never shows, changes or deletes another tenant's analysis", async () => {
      const [a, b] = await Promise.all([createTeam(t.deps), createTeam(t.deps)]);
      const id = await accepted(
        await submit(t, a.editor.token, { text: "Tenant A's private text about budgets." }),
      );
      const list = await readJson<{ items: AnalysisJson[] }>(
        await t.call("/api/analyze", { token: b.admin.token }),
      );
      expect(list.items.map((i) => i.id)).not.toContain(id);
      for (const [method, path] of [
        ["GET", `/api/analyze/${id}`],
        ["POST", `/api/analyze/${id}/cancel`],
        ["POST", `/api/analyze/${id}/retry`],
        ["DELETE", `/api/analyze/${id}`],
      ] as const) {
        const res = await t.call(path, { method, token: b.admin.token });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect((await readJson<ErrorJson>(res)).error.code).toBe("not_found");
      }
      const own = await t.call(`/api/analyze/${id}`, { token: a.editor.token });
      expect(own.status).toBe(200);
      expect((await readJson<AnalysisJson>(own)).status).toBe("queued");
      const ownList = await readJson<{ items: AnalysisJson[] }>(
        await t.call("/api/analyze", { token: a.admin.token }),
      );
      expect(ownList.items.map((i) => i.id)).toEqual([id]);
    });
  });
});

describe("rate limit", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_ANALYZE: "2/60s" } });
  });
  afterAll(async () => {
    await t.close();
  });

  it("counts submissions and retries per user against RATE_LIMIT_ANALYZE", async () => {
    const { editor, admin } = await createTeam(t.deps);
    const first = await submit(t, editor.token, { text: "One." });
    expect(first.status).toBe(202);
    expect(first.headers.get("ratelimit-policy")).toBe('"analyze";q=2;w=60');
    const id = (await readJson<{ id: string }>(first)).id;
    await t.call(`/api/analyze/${id}/cancel`, { method: "POST", token: editor.token });
    expect((await t.call(`/api/analyze/${id}/retry`, { method: "POST", token: editor.token })).status).toBe(
      202,
    );
    const third = await submit(t, editor.token, { text: "Three." });
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await readJson<ErrorJson>(third)).error.details).toMatchObject({ policy: "analyze" });
    // Another user has a budget of their own; reading is not counted against it.
    expect((await submit(t, admin.token, { text: "Admin's own." })).status).toBe(202);
    expect((await t.call(`/api/analyze/${id}`, { token: editor.token })).status).toBe(200);
  });
});
