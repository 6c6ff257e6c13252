import { afterAll, beforeAll, describe } from "vitest";
import { beginDocument } from "../../../shared/documents/upload.ts";
import { startTestApp, type TestApp } from "../../helpers/app.ts";
import { authMatrix, type MatrixContext, type MatrixRoute, type Team } from "../../helpers/auth-matrix.ts";

interface Fixtures {
  ours: string;
  theirs: string;
}

type Ctx = MatrixContext<Fixtures>;

async function uploadingDocument(t: TestApp, team: Team): Promise<string> {
  const scope = { tenantId: team.tenant.id, userId: team.editor.id, role: "editor" as const };
  const doc = await beginDocument(t.deps.db, scope, {
    name: "matrix.txt",
    tags: [],
    expiresAt: new Date(Date.now() + 60_000),
  });
  return doc.id;
}

const ours =
  (suffix = "") =>
  (ctx: Ctx) =>
    `/api/rag/${ctx.fixtures.ours}${suffix}`;
const theirs =
  (suffix = "") =>
  (ctx: Ctx) =>
    `/api/rag/${ctx.fixtures.theirs}${suffix}`;

const routes: MatrixRoute<Fixtures>[] = [
  { method: "POST", path: "/api/rag/upload", minRole: "editor" },
  { method: "POST", path: "/api/rag/upload-url", minRole: "editor", body: { name: "matrix.txt" } },
  { method: "GET", path: "/api/rag", minRole: "reader" },
  { method: "GET", path: "/api/rag/stats/summary", minRole: "reader" },
  { name: "GET /api/rag/{id}", method: "GET", path: ours(), foreignPath: theirs(), minRole: "reader" },
  {
    name: "GET /api/rag/{id}/progress",
    method: "GET",
    path: ours("/progress"),
    foreignPath: theirs("/progress"),
    minRole: "reader",
  },
  {
    name: "POST /api/rag/{id}/complete",
    method: "POST",
    path: ours("/complete"),
    foreignPath: theirs("/complete"),
    minRole: "editor",
  },
  { name: "DELETE /api/rag/{id}", method: "DELETE", path: ours(), foreignPath: theirs(), minRole: "editor" },
  {
    name: "POST /api/rag/{id}/cancel",
    method: "POST",
    path: ours("/cancel"),
    foreignPath: theirs("/cancel"),
    minRole: "editor",
  },
  {
    name: "POST /api/rag/{id}/retry",
    method: "POST",
    path: ours("/retry"),
    foreignPath: theirs("/retry"),
    minRole: "editor",
  },
  {
    name: "POST /api/rag/{id}/reindex",
    method: "POST",
    path: ours("/reindex"),
    foreignPath: theirs("/reindex"),
    minRole: "editor",
  },
];

describe("rag routes", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  authMatrix<Fixtures>(() => t, routes, {
    fixtures: async ({ app, team, foreign }) => ({
      ours: await uploadingDocument(app, team),
      theirs: await uploadingDocument(app, foreign),
    }),
  });
});
