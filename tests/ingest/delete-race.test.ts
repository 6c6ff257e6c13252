import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobStore, blobKey } from "../../shared/blob/index.ts";
import type { VectorIndex } from "../../shared/vectors/index.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForGone } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { until, uploadFile } from "./fixtures.ts";

/** Jobs of `task` still queued or running (this file's database holds one document at a time). */
async function jobsOf(t: TestApp, task: string): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from graphile_worker.jobs where task_identifier = ${task}
  `.execute(t.deps.db);
  return result.rows[0]?.n ?? 0;
}

/** A point where the code under test stops: `hold()` resolves `waiting`, then waits for `release()`. */
function gate() {
  let release: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached: () => void = () => {};
  const waiting = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const hold = async () => {
    reached();
    await opened;
  };
  return { hold, waiting, release };
}

/** A vector index whose upserts wait until `release()`, to hold the index stage half-way. */
function gateUpserts(index: VectorIndex) {
  const { hold, waiting, release } = gate();
  const gated: VectorIndex = Object.create(index);
  gated.upsert = async (alias, points) => {
    await hold();
    return index.upsert(alias, points);
  };
  return { gated, waiting, release };
}

/** A blob store whose writes of canonical text wait until `release()`, to hold extract half-way. */
function gateCanonicalWrites(store: BlobStore) {
  const { hold, waiting, release } = gate();
  const gated: BlobStore = Object.create(store);
  gated.put = async (key, body, options) => {
    if (key.includes("/canonical/")) await hold();
    return store.put(key, body, options);
  };
  return { gated, waiting, release };
}

describe("ingest: delete while a stage is writing", () => {
  let t: TestApp;
  let editor: TestUser;
  let worker: TestWorker;
  const gate = { release: () => {} };

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKER_CONCURRENCY: "2" } });
    ({ editor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    gate.release();
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
  });

  it("a canonical text written after the delete swept the blobs is removed, not orphaned", async () => {
    const { gated, waiting, release } = gateCanonicalWrites(t.deps.blobStore);
    gate.release = release;
    worker = await startTestWorker(t, { blobStore: gated });
    const doc = await uploadFile(t, editor.token, `${prose(6, 501)}\n\n${prose(6, 502)}`, "raced.txt");
    await waiting; // extract has read and parsed the upload and is about to write its text
    const { blob_key: uploadKey } = await t.deps.db
      .selectFrom("documents")
      .select("blob_key")
      .where("id", "=", doc.id)
      .executeTakeFirstOrThrow();

    const res = await t.call(`/api/rag/${doc.id}`, { method: "DELETE", token: editor.token });
    expect(res.status).toBe(202);
    expect(await readJson(res)).toEqual({ id: doc.id, status: "deleting" });
    await waitForGone(t, doc.id, editor.token);

    const canonicalKey = blobKey(editor.tenantId, "canonical", doc.id, "text.json");
    expect(await t.deps.blobStore.head(canonicalKey)).toBeNull();
    release();
    // Extract now writes the text, finds the document gone, and removes what it wrote.
    await until("the extract job to end", async () => (await jobsOf(t, "ingest:extract")) === 0);
    expect(await t.deps.blobStore.head(canonicalKey)).toBeNull();
    expect(await t.deps.blobStore.head(uploadKey)).toBeNull();
  });

  it("points written after the delete swept the index are removed, not orphaned", async () => {
    await worker?.stop();
    const { gated, waiting, release } = gateUpserts(t.deps.vectorIndex);
    gate.release = release;
    worker = await startTestWorker(t, { vectorIndex: gated });
    const doc = await uploadFile(t, editor.token, `${prose(6, 503)}\n\n${prose(6, 504)}`, "raced.txt");
    await waiting; // the index stage has loaded the document's points and is about to write them
    const scope = { tenantId: editor.tenantId, documentId: doc.id };
    const model = t.deps.embedder.model;

    const res = await t.call(`/api/rag/${doc.id}`, { method: "DELETE", token: editor.token });
    expect(res.status).toBe(202);
    await waitForGone(t, doc.id, editor.token);
    expect(await t.deps.vectorIndex.count(model, scope)).toBe(0);
    release();
    // The index stage now writes its points, finds the document gone, and removes them.
    await until("the index job to end", async () => (await jobsOf(t, "ingest:index")) === 0);
    expect(await t.deps.vectorIndex.count(model, scope)).toBe(0);
  });
});
