import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningJwk } from "../../shared/auth/keys.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { indexDocument, seedDocument } from "../helpers/seed-corpus.ts";
import { createTeam } from "../helpers/users.ts";
import { searchOk } from "./helpers.ts";

/**
 * Two deployments of the same database: `before` embeds with the built-in embedder under its default
 * alias, `after` was switched to a new alias. One document is re-indexed under the new alias, the other
 * is not yet.
 */
describe("search across an embedding model switch", () => {
  let database: TestDatabase;
  let before: TestApp;
  let after: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  let reindexed: string;
  let pending: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Both deployments verify the same tokens.
    const JWT_KEYS = JSON.stringify([await generateSigningJwk("switch-1")]);
    before = await startTestApp({ database, env: { JWT_KEYS } });
    after = await startTestApp({
      database,
      env: { JWT_KEYS, EMBEDDINGS_MODEL_ALIAS: "hashing-v2", EMBEDDINGS_DIMS: "256" },
    });
    team = await createTeam(before.deps);
    reindexed = (
      await seedDocument(before.deps, team.tenant.id, {
        name: "reindexed.txt",
        chunks: ["Backups run every night and are kept for thirty days."],
      })
    ).id;
    pending = (
      await seedDocument(before.deps, team.tenant.id, {
        name: "pending.txt",
        chunks: ["Backups of the mail server are copied to tape every week."],
      })
    ).id;
    await indexDocument(after.deps, team.tenant.id, reindexed, after.deps.embedder);
  });
  afterAll(async () => {
    await after.close();
    await before.close();
    await database.drop();
  });

  it("uses the new alias after the switch", async () => {
    expect(after.deps.embedder.model).toBe("hashing-v2");
    const model = await after.deps.db
      .selectFrom("documents")
      .select(["id", "embedding_model"])
      .where("tenant_id", "=", team.tenant.id)
      .execute();
    expect(Object.fromEntries(model.map((row) => [row.id, row.embedding_model]))).toEqual({
      [reindexed]: "hashing-v2",
      [pending]: "hashing-v1",
    });
    const vector = await searchOk(after, team.reader.token, {
      query: "backups every night",
      mode: "vector",
      top_k: 10,
    });
    expect(vector.items.map((item) => item.document_id)).toEqual([reindexed]);
  });

  it("still finds documents not yet re-indexed, lexically and in hybrid", async () => {
    for (const mode of ["lexical", "hybrid"] as const) {
      const page = await searchOk(after, team.reader.token, { query: "backups", mode, top_k: 10 });
      expect(new Set(page.items.map((item) => item.document_id))).toEqual(new Set([reindexed, pending]));
    }
  });

  it("keeps serving the old alias where it is still the active one", async () => {
    const vector = await searchOk(before, team.reader.token, { query: "backups", mode: "vector", top_k: 10 });
    expect(new Set(vector.items.map((item) => item.document_id))).toEqual(new Set([reindexed, pending]));
  });

  it("follows an alias switched to another collection", async () => {
    await after.deps.vectorIndex.switchAlias("hashing-v2", "hashing-v1-d256-none");
    try {
      const vector = await searchOk(after, team.reader.token, {
        query: "backups every night",
        mode: "vector",
      });
      expect(vector.items).toEqual([]);
    } finally {
      await after.deps.vectorIndex.switchAlias("hashing-v2", "hashing-v2");
    }
    const back = await searchOk(after, team.reader.token, { query: "backups every night", mode: "vector" });
    expect(back.items.map((item) => item.document_id)).toEqual([reindexed]);
  });
});
