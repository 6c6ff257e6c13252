import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { embeddingInputs, type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import {
  type DocumentJson,
  runningWorkers,
  startTestWorker,
  type TestWorker,
  waitForGone,
  waitForStatus,
} from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import {
  chunksOf,
  embeddedCount,
  metricSample,
  pipelineJobs,
  pointRowsOf,
  progressOf,
  until,
  uploadFile,
} from "./fixtures.ts";

describe("ingest: cancel, retry and delete", () => {
  let t: TestApp;
  let s3: TestS3Server;
  let model: ModelServer;
  let editor: TestUser;
  let worker: TestWorker;

  beforeAll(async () => {
    [s3, model] = await Promise.all([startS3Server("ingest-lifecycle"), startModelServer({ dims: 16 })]);
    t = await startTestApp({
      env: {
        CHUNK_MAX_TOKENS: "40",
        CHUNK_OVERLAP_TOKENS: "6",
        INGEST_MAX_ATTEMPTS: "1",
        EMBEDDINGS_URL: model.url,
        EMBEDDINGS_MODEL: "stand-in-embed",
        EMBEDDINGS_BATCH_SIZE: "2",
        EMBEDDINGS_CONCURRENCY: "1",
        EMBEDDINGS_MAX_RETRIES: "0",
        ...s3.quarryEnv,
      },
    });
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
  });
  afterEach(() => model.clear());
  afterAll(async () => {
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
    await Promise.all([s3?.close(), model?.close()]);
  });

  const post = async (path: string) => t.call(path, { method: "POST", token: editor.token });
  const hashesOf = async (id: string) => [
    ...new Set((await chunksOf(t.deps, id)).map((c) => c.content_hash)),
  ];
  const stageRuns = async (stage: string) =>
    (await metricSample(t, "ingest_stage_duration_seconds_count", { stage })) ?? 0;
  /** Jobs of any ingest task, including a running one whose key a cancel cleared. */
  const ingestJobs = async () =>
    (
      await sql<{
        n: number;
      }>`select count(*)::int as n from graphile_worker.jobs where task_identifier like 'ingest:%'`.execute(
        t.deps.db,
      )
    ).rows[0]?.n ?? 0;

  it("cancel while embedding: the stage stops at its next batch, nothing is indexed, retry finishes it", async () => {
    model.delay(1000, 150);
    const doc = await uploadFile(t, editor.token, `${prose(14, 81)}\n\n${prose(14, 82)}`, "long.txt");
    await until("two embedding requests", () => model.requests.length >= 2);

    const res = await post(`/api/rag/${doc.id}/cancel`);
    expect(res.status).toBe(200);
    const atCancel = model.requests.length;
    expect((await readJson<DocumentJson>(res)).status).toBe("canceled");
    await until("the running embed job to end", async () => (await ingestJobs()) === 0);
    const sent = model.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 400));

    const hashes = await hashesOf(doc.id);
    const batches = Math.ceil(hashes.length / 2);
    expect(batches).toBeGreaterThan(5);
    // The stage stopped at its first check after the cancel (at most one batch started meanwhile), far
    // short of what the document needed, and sent nothing more.
    expect(model.requests.length).toBe(sent);
    expect(sent).toBeLessThanOrEqual(atCancel + 1);
    expect(sent).toBeLessThan(batches);
    const stored = await embeddedCount(t.deps, t.deps.embedder.model, hashes);
    expect(stored).toBeLessThan(hashes.length);
    // What happens: the vectors embedded before the cancel stay (a cache, keyed by content), no point was
    // written, and no later stage started.
    const progress = await progressOf(t, editor.token, doc.id);
    expect(progress).toMatchObject({ status: "canceled", embedded: stored, indexed: 0 });
    expect(await pointRowsOf(t.deps, doc.id)).toEqual([]);
    const canceled = await waitForStatus(t, doc.id, "canceled");
    expect(canceled.stage_timestamps.embed?.started_at).toBeTruthy();
    expect(canceled.stage_timestamps.embed?.ended_at).toBeUndefined();
    expect(canceled.stage_timestamps.index).toBeUndefined();
    expect(await post(`/api/rag/${doc.id}/cancel`).then((r) => r.status)).toBe(409);

    model.clear();
    const retried = await post(`/api/rag/${doc.id}/retry`);
    expect(retried.status).toBe(202);
    expect((await readJson<DocumentJson>(retried)).status).toBe("embedding");
    await waitForStatus(t, doc.id, "ready");
    const embeddedNow = model.requests.flatMap((_, i) => embeddingInputs(model, i));
    expect(embeddedNow).toHaveLength(hashes.length - stored);
    expect((await pointRowsOf(t.deps, doc.id)).length).toBe((await chunksOf(t.deps, doc.id)).length);
  });

  it("retry after a failed embed resumes at embed: extract and chunk do not run again", async () => {
    model.fail(1, 400, { body: { error: { message: "input too long for this model" } } });
    const doc = await uploadFile(t, editor.token, `${prose(6, 91)}\n\n${prose(6, 92)}`, "fails.txt");
    const failed = await waitForStatus(t, doc.id, "failed");
    expect(failed.error).toMatch(/^embed failed: .*HTTP 400: input too long for this model/);
    expect(failed.stage_timestamps.embed?.ended_at).toBeUndefined();
    const chunkIds = (await chunksOf(t.deps, doc.id)).map((c) => c.id);
    const [extractRuns, chunkRuns] = [await stageRuns("extract"), await stageRuns("chunk")];

    const res = await post(`/api/rag/${doc.id}/retry`);
    expect(res.status).toBe(202);
    const queued = await readJson<DocumentJson>(res);
    expect(queued).toMatchObject({ status: "embedding", error: null });
    expect((await pipelineJobs(t.deps, doc.id)).map((j) => j.task_identifier)).toEqual(["ingest:embed"]);

    const ready = await waitForStatus(t, doc.id, "ready");
    expect(ready.stage_timestamps.extract).toEqual(failed.stage_timestamps.extract);
    expect(ready.stage_timestamps.chunk).toEqual(failed.stage_timestamps.chunk);
    expect(Date.parse(ready.stage_timestamps.embed?.started_at ?? "")).toBeGreaterThan(
      Date.parse(failed.stage_timestamps.embed?.started_at ?? ""),
    );
    expect(await stageRuns("extract")).toBe(extractRuns);
    expect(await stageRuns("chunk")).toBe(chunkRuns);
    expect((await chunksOf(t.deps, doc.id)).map((c) => c.id)).toEqual(chunkIds);
  });

  it("retry of a document canceled between chunk and embed resumes at embed, not at extract", async () => {
    const doc = await uploadFile(t, editor.token, prose(12, 95), "window.txt");
    const done = await waitForStatus(t, doc.id, "ready");
    // The state a cancel leaves when it lands after chunk committed and before the embed job started.
    await t.deps.db
      .updateTable("documents")
      .set({ status: "canceled", stage_timestamps: sql`stage_timestamps - 'embed' - 'index'` })
      .where("id", "=", doc.id)
      .execute();
    await t.deps.vectorIndex.deleteByFilter(t.deps.embedder.model, {
      tenantId: editor.tenantId,
      documentId: doc.id,
    });
    const chunkIds = (await chunksOf(t.deps, doc.id)).map((c) => c.id);

    const res = await post(`/api/rag/${doc.id}/retry`);
    expect(res.status).toBe(202);
    expect((await readJson<DocumentJson>(res)).status).toBe("embedding");
    const ready = await waitForStatus(t, doc.id, "ready");
    expect(ready.stage_timestamps.extract).toEqual(done.stage_timestamps.extract);
    expect((await chunksOf(t.deps, doc.id)).map((c) => c.id)).toEqual(chunkIds);
    expect((await pointRowsOf(t.deps, doc.id)).length).toBe(chunkIds.length);
  });

  it("a reindex canceled before its embed job ran resumes at embed on retry", async () => {
    const doc = await uploadFile(t, editor.token, prose(10, 97), "reindexed.txt");
    await waitForStatus(t, doc.id, "ready");
    const chunkIds = (await chunksOf(t.deps, doc.id)).map((c) => c.id);
    await worker.stop();
    try {
      expect((await post(`/api/rag/${doc.id}/reindex`)).status).toBe(202);
      const canceled = await post(`/api/rag/${doc.id}/cancel`);
      expect((await readJson<DocumentJson>(canceled)).status).toBe("canceled");
      expect(await pipelineJobs(t.deps, doc.id)).toEqual([]);
      const retried = await post(`/api/rag/${doc.id}/retry`);
      expect((await readJson<DocumentJson>(retried)).status).toBe("embedding");
      expect((await pipelineJobs(t.deps, doc.id)).map((j) => j.task_identifier)).toEqual(["ingest:embed"]);
    } finally {
      worker = await startTestWorker(t);
    }
    await waitForStatus(t, doc.id, "ready");
    expect((await chunksOf(t.deps, doc.id)).map((c) => c.id)).toEqual(chunkIds);
  });

  it("delete removes the points, the upload and canonical blobs, the chunks and the row", async () => {
    const [doomed, kept] = await Promise.all([
      uploadFile(t, editor.token, `${prose(8, 101)}\n\n${prose(8, 102)}`, "doomed.txt"),
      uploadFile(t, editor.token, `${prose(8, 103)}\n\n${prose(8, 104)}`, "kept.txt"),
    ]);
    await Promise.all([waitForStatus(t, doomed.id, "ready"), waitForStatus(t, kept.id, "ready")]);
    const keysOf = (id: string) =>
      t.deps.db
        .selectFrom("documents")
        .select(["blob_key", "canonical_key"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    const doomedKeys = await keysOf(doomed.id);
    const keptKeys = await keysOf(kept.id);
    const hashes = await hashesOf(doomed.id);
    expect(await t.deps.blobStore.head(doomedKeys.blob_key)).not.toBeNull();
    expect(await t.deps.blobStore.head(doomedKeys.canonical_key ?? "")).not.toBeNull();
    expect((await pointRowsOf(t.deps, doomed.id)).length).toBeGreaterThan(0);

    const res = await t.call(`/api/rag/${doomed.id}`, { method: "DELETE", token: editor.token });
    expect(res.status).toBe(202);
    expect(await readJson(res)).toEqual({ id: doomed.id, status: "deleting" });
    await waitForGone(t, doomed.id, editor.token);

    expect(await t.deps.blobStore.head(doomedKeys.blob_key)).toBeNull();
    expect(await t.deps.blobStore.head(doomedKeys.canonical_key ?? "")).toBeNull();
    expect(await pointRowsOf(t.deps, doomed.id)).toEqual([]);
    expect(await chunksOf(t.deps, doomed.id)).toEqual([]);
    expect(await pipelineJobs(t.deps, doomed.id)).toEqual([]);
    // Vectors are a cache keyed by content, not by document: they stay for the next upload of the text.
    expect(await embeddedCount(t.deps, t.deps.embedder.model, hashes)).toBe(hashes.length);

    // The other document is untouched.
    expect(await t.deps.blobStore.head(keptKeys.blob_key)).not.toBeNull();
    expect(await t.deps.blobStore.head(keptKeys.canonical_key ?? "")).not.toBeNull();
    const keptChunks = await chunksOf(t.deps, kept.id);
    expect((await pointRowsOf(t.deps, kept.id)).length).toBe(keptChunks.length);
  });
});
