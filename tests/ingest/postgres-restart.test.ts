import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, createPool } from "../../db/database.ts";
import { migrateAll } from "../../db/migrate.ts";
import { createLogger } from "../../shared/logger.ts";
import { pointId } from "../../shared/vectors/point-id.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForStatus } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { chunksOf, pointRowsOf, until, uploadFile } from "./fixtures.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "./throwaway-postgres.ts";

describe("ingest: Postgres restarted mid-ingest", () => {
  let pg: ThrowawayPostgres;
  let model: ModelServer;
  let t: TestApp;
  let editor: TestUser;
  let worker: TestWorker;

  beforeAll(async () => {
    [pg, model] = await Promise.all([startThrowawayPostgres(), startModelServer({ dims: 16 })]);
    const log = createLogger("silent");
    const pool = createPool(pg.url, 2, log);
    const db = createDatabase(pool);
    await migrateAll(db, pool, log);
    await db.destroy();
    t = await startTestApp({
      database: { url: pg.url, drop: async () => {} },
      env: {
        CHUNK_MAX_TOKENS: "40",
        CHUNK_OVERLAP_TOKENS: "6",
        EMBEDDINGS_URL: model.url,
        EMBEDDINGS_MODEL: "stand-in-embed",
        EMBEDDINGS_BATCH_SIZE: "2",
        EMBEDDINGS_CONCURRENCY: "1",
        WORKER_CONCURRENCY: "2",
        INGEST_MAX_ATTEMPTS: "5",
      },
    });
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
  }, 60_000);
  afterAll(async () => {
    try {
      await worker?.stop();
      expect(runningWorkers()).toBe(0);
      await t?.close();
      await model?.close();
    } finally {
      await pg?.stop();
    }
  });

  it("every document still reaches ready with exactly its chunks", async () => {
    model.delay(10_000, 60);
    const docs = [];
    for (let i = 0; i < 4; i++) {
      docs.push(
        await uploadFile(
          t,
          editor.token,
          `${prose(8, 151 + 2 * i)}\n\n${prose(8, 152 + 2 * i)}`,
          `doc-${i}.txt`,
        ),
      );
    }
    await until("a document embedding", async () => {
      const rows = await t.deps.db.selectFrom("documents").select("status").execute();
      return rows.some((row) => row.status === "embedding") && model.requests.length >= 2;
    });
    const before = await t.deps.db.selectFrom("documents").select(["id", "status"]).execute();
    expect(before.filter((row) => row.status === "ready").length).toBeLessThan(docs.length);

    await pg.restart();

    for (const doc of docs) await waitForStatus(t, doc.id, "ready", 45_000);
    for (const doc of docs) {
      const chunks = await chunksOf(t.deps, doc.id);
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.map((c) => c.idx)).toEqual(chunks.map((_, i) => i));
      const points = await pointRowsOf(t.deps, doc.id);
      expect(points.map((p) => p.id).sort()).toEqual(
        chunks.map((c) => pointId(doc.id, c.idx, t.deps.embedder.model)).sort(),
      );
    }
    const left =
      await sql`select task_identifier, key, attempts, max_attempts, locked_at, last_error, run_at > now() as future from graphile_worker.jobs where task_identifier like 'ingest:%'`.execute(
        t.deps.db,
      );
    expect(left.rows).toEqual([]);
  }, 90_000);
});
