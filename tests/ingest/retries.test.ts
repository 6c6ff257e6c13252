import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { VectorIndex } from "../../shared/vectors/index.ts";
import { pointId } from "../../shared/vectors/point-id.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForStatus } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { chunksOf, embeddedCount, metricSample, pointRowsOf, uploadFile } from "./fixtures.ts";

const failures = async (t: TestApp, stage: string) =>
  (await metricSample(t, "ingest_stage_failures_total", { stage })) ?? 0;

describe("ingest: a stage that fails part-way is retried and converges", () => {
  let t: TestApp;
  let model: ModelServer;
  let editor: TestUser;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    model = await startModelServer({ dims: 16 });
    t = await startTestApp({
      env: {
        CHUNK_MAX_TOKENS: "40",
        CHUNK_OVERLAP_TOKENS: "6",
        EMBEDDINGS_URL: model.url,
        EMBEDDINGS_MODEL: "stand-in-embed",
        EMBEDDINGS_BATCH_SIZE: "8",
        EMBEDDINGS_CONCURRENCY: "1",
        EMBEDDINGS_MAX_RETRIES: "4",
      },
    });
    ({ editor } = await createTeam(t.deps));
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    model.clear();
    expect(runningWorkers()).toBe(0);
  });
  afterAll(async () => {
    await t?.close();
    await model?.close();
  });

  async function expectExactlyIndexed(documentId: string) {
    const chunks = await chunksOf(t.deps, documentId);
    const duplicates = await sql<{ idx: number }>`
      select idx from chunks where document_id = ${documentId} group by idx having count(*) > 1
    `.execute(t.deps.db);
    expect(duplicates.rows).toEqual([]);
    const model = t.deps.embedder.model;
    const points = await pointRowsOf(t.deps, documentId);
    expect(points.map((p) => p.id).sort()).toEqual(
      chunks.map((c) => pointId(documentId, c.idx, model)).sort(),
    );
    expect(points.every((p) => p.collection === model)).toBe(true);
    const hashes = [...new Set(chunks.map((c) => c.content_hash))];
    expect(await embeddedCount(t.deps, model, hashes)).toBe(hashes.length);
    return chunks;
  }

  it("the index stage throwing after upserting half its points: retried, ends ready with no duplicates", async () => {
    const real = t.deps.vectorIndex;
    const upserts: number[] = [];
    let failed = false;
    let indexedWhenFailing = -1;
    const flaky: VectorIndex = {
      ...real,
      kind: real.kind,
      async upsert(alias, points) {
        upserts.push(points.length);
        if (failed) return real.upsert(alias, points);
        failed = true;
        await real.upsert(alias, points.slice(0, Math.ceil(points.length / 2)));
        indexedWhenFailing = await real.count(alias, { tenantId: points[0]?.tenantId ?? "" });
        throw new Error("injected: vector index went away after a partial upsert");
      },
    };
    worker = await startTestWorker(t, { vectorIndex: flaky });
    const failuresBefore = await failures(t, "index");

    const doc = await uploadFile(t, editor.token, `${prose(12, 61)}\n\n${prose(12, 62)}`, "flaky.txt");
    const ready = await waitForStatus(t, doc.id, "ready", 20_000);

    const chunks = await expectExactlyIndexed(doc.id);
    expect(chunks.length).toBeGreaterThan(4);
    expect(indexedWhenFailing).toBe(Math.ceil(chunks.length / 2));
    expect(upserts).toEqual([chunks.length, chunks.length]);
    expect(await failures(t, "index")).toBe(failuresBefore + 1);
    expect(ready.error).toBeNull();
  });

  it("the model server answering 500 then 429 for a while: retried, then ready", async () => {
    worker = await startTestWorker(t);
    // Five failures exhaust the embedder's own 4 retries (500s back off, 429 says Retry-After: 0), so the
    // job fails once and graphile-worker runs it again; that attempt gets answers.
    model.fail(2, 500);
    model.fail(3, 429, { retryAfter: "0" });
    const failuresBefore = await failures(t, "embed");

    const doc = await uploadFile(t, editor.token, `${prose(10, 71)}\n\n${prose(10, 72)}`, "busy.txt");
    await waitForStatus(t, doc.id, "ready", 20_000);

    const chunks = await expectExactlyIndexed(doc.id);
    const distinct = new Set(chunks.map((c) => c.content_hash)).size;
    const batches = Math.ceil(distinct / 8);
    expect(model.requests.filter((r) => r.path === "/v1/embeddings")).toHaveLength(5 + batches);
    expect(await failures(t, "embed")).toBe(failuresBefore + 1);
  });
});
