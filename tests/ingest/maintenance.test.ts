import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DocumentStatus } from "../../db/types.ts";
import { MAINTENANCE } from "../../jobs/maintenance/index.ts";
import { CRONTAB } from "../../jobs/task-list.ts";
import { type BlobStore, blobKey } from "../../shared/blob/index.ts";
import { enqueue, removePendingJob } from "../../shared/queue/enqueue.ts";
import { pointId } from "../../shared/vectors/point-id.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { eventually } from "../helpers/eventually.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForStatus } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { chunksOf, pipelineJobs, pointRowsOf, uploadFile } from "./fixtures.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const HOUR = 3600_000;

type StageTimestamps = Record<string, { started_at?: string; ended_at?: string }>;

interface UploadUrlJson {
  id: string;
  put_url: string;
  key: string;
}

describe("maintenance jobs", () => {
  let t: TestApp;
  let editor: TestUser;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    t = await startTestApp({
      env: { CHUNK_MAX_TOKENS: "40", CHUNK_OVERLAP_TOKENS: "6", INGEST_STUCK_AFTER_MINUTES: "15" },
    });
    ({ editor } = await createTeam(t.deps));
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    expect(runningWorkers()).toBe(0);
  });
  afterAll(async () => {
    await t?.close();
  });

  const documentRow = (id: string) =>
    t.deps.db.selectFrom("documents").selectAll().where("id", "=", id).executeTakeFirst();

  async function startPresignedUpload(name: string): Promise<UploadUrlJson> {
    const res = await t.call("/api/rag/upload-url", { method: "POST", token: editor.token, json: { name } });
    expect(res.status).toBe(201);
    return readJson<UploadUrlJson>(res);
  }

  /** The client's PUT to the signed URL (the test server listens elsewhere than PUBLIC_BASE_URL: keep the path). */
  async function putFile(upload: UploadUrlJson, body: string) {
    const res = await t.call(new URL(upload.put_url).pathname, { method: "PUT", body });
    expect(res.status).toBe(200);
  }

  const expire = (id: string) =>
    t.deps.db
      .updateTable("documents")
      .set({ upload_expires_at: new Date(Date.now() - 60_000) })
      .where("id", "=", id)
      .execute();

  /** A document row straight in the database, as a crash would leave it. */
  async function stuckDocument(status: DocumentStatus, timestamps: StageTimestamps, ageMs = HOUR) {
    const id = crypto.randomUUID();
    await t.deps.db
      .insertInto("documents")
      .values({
        id,
        tenant_id: editor.tenantId,
        name: `${status}.txt`,
        status,
        blob_key: blobKey(editor.tenantId, "uploads", id),
        uploaded_by: editor.id,
        stage_timestamps: timestamps,
        updated_at: new Date(Date.now() - ageMs),
      })
      .execute();
    return id;
  }

  const ended = { started_at: "2026-01-01T00:00:00Z", ended_at: "2026-01-01T00:00:01Z" };

  it("expire-uploads completes an upload that arrived and removes ones that never did (or came empty)", async () => {
    const arrived = await startPresignedUpload("arrived.txt");
    await putFile(arrived, `${prose(6, 111)}\n\n${prose(6, 112)}`);
    const missing = await startPresignedUpload("missing.txt");
    const empty = await startPresignedUpload("empty.txt");
    await putFile(empty, "");
    const fresh = await startPresignedUpload("fresh.txt");
    await Promise.all([arrived, missing, empty].map((u) => expire(u.id)));

    expect(await MAINTENANCE["expire-uploads"](t.deps)).toEqual({ completed: 1, expired: 2 });

    const completed = await documentRow(arrived.id);
    expect(completed).toMatchObject({ status: "queued", upload_expires_at: null });
    expect(completed?.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await pipelineJobs(t.deps, arrived.id)).map((j) => j.task_identifier)).toEqual([
      "ingest:extract",
    ]);
    expect(await documentRow(missing.id)).toBeUndefined();
    expect(await documentRow(empty.id)).toBeUndefined();
    expect(await t.deps.blobStore.head(empty.key)).toBeNull();
    expect((await documentRow(fresh.id))?.status).toBe("uploading");

    worker = await startTestWorker(t);
    await waitForStatus(t, arrived.id, "ready");
  });

  it("expire-uploads leaves an upload it could not read for the next run, bytes and row kept", async () => {
    const upload = await startPresignedUpload("storage-down.txt");
    await putFile(upload, prose(4, 113));
    await expire(upload.id);
    const storageDown: BlobStore = Object.create(t.deps.blobStore);
    storageDown.head = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9000"));

    const report = await MAINTENANCE["expire-uploads"]({ ...t.deps, blobStore: storageDown });
    expect(report).toEqual({ completed: 0, expired: 0 });
    expect((await documentRow(upload.id))?.status).toBe("uploading");
    expect(await t.deps.blobStore.head(upload.key)).not.toBeNull();

    expect(await MAINTENANCE["expire-uploads"](t.deps)).toEqual({ completed: 1, expired: 0 });
    expect((await documentRow(upload.id))?.status).toBe("queued");
  });

  it("closes a presigned upload once its URL has expired: what a late PUT left is removed, an open one kept", async () => {
    const ttlMs = t.deps.config.UPLOAD_URL_TTL_SECONDS * 1000;
    const before = Date.now();
    const completed = await startPresignedUpload("closed.txt");
    const after = Date.now();
    await putFile(completed, prose(4, 114));
    const done = await t.call(`/api/rag/${completed.id}/complete`, { method: "POST", token: editor.token });
    expect(done.status).toBe(202);
    // What S3 keeps of a PUT to a URL still valid after complete (Quarry's own route refuses it).
    await t.deps.blobStore.put(completed.key, Buffer.from("a late PUT"));
    const open = await startPresignedUpload("still-open.txt");
    await putFile(open, prose(4, 115));

    const keys = [`upload:${completed.id}`, `upload:${open.id}`];
    const scheduled = await sql<{ key: string; task_identifier: string; run_at: Date }>`
      select key, task_identifier, run_at from graphile_worker.jobs where key in (${keys[0]}, ${keys[1]})
      order by key = ${keys[1]}
    `.execute(t.deps.db);
    expect(scheduled.rows.map((job) => [job.key, job.task_identifier])).toEqual([
      [keys[0], "ingest:close-upload"],
      [keys[1], "ingest:close-upload"],
    ]);
    // A minute after the URL expires.
    const [closesCompleted, closesOpen] = scheduled.rows.map((job) => job.run_at.getTime()) as [
      number,
      number,
    ];
    expect(closesCompleted).toBeGreaterThanOrEqual(before + ttlMs + 60_000);
    expect(closesCompleted).toBeLessThanOrEqual(after + ttlMs + 60_000);
    const openExpiry = (await documentRow(open.id))?.upload_expires_at?.getTime();
    expect(closesOpen).toBe((openExpiry ?? 0) + 60_000);

    await sql`update graphile_worker._private_jobs set run_at = now() where key in (${keys[0]}, ${keys[1]})`.execute(
      t.deps.db,
    );
    worker = await startTestWorker(t);
    const left = await eventually(
      async () =>
        (
          await sql`select 1 from graphile_worker.jobs where key in (${keys[0]}, ${keys[1]})`.execute(
            t.deps.db,
          )
        ).rows,
      (rows) => rows.length === 0,
      15_000,
    );
    expect(left).toEqual([]);
    expect(await t.deps.blobStore.head(completed.key)).toBeNull();
    const accepted = await documentRow(completed.id);
    expect(await t.deps.blobStore.head(accepted?.blob_key ?? "")).not.toBeNull();
    expect(await t.deps.blobStore.head(open.key)).not.toBeNull();
    expect((await documentRow(open.id))?.status).toBe("uploading");
  });

  it("watchdog re-enqueues a stuck document at its own stage, then fails it the second time", async () => {
    // In `embedding` with no job: the embed job was lost before it started (no embed timestamps yet).
    const lost = await stuckDocument("embedding", { extract: ended, chunk: ended });
    // Its job is out of attempts (a last failure whose `failed` status never got written): no live job.
    const exhausted = await stuckDocument("chunking", {
      extract: ended,
      chunk: { started_at: ended.started_at },
    });
    await enqueue(
      t.deps.db,
      "ingest:chunk",
      { documentId: exhausted, tenantId: editor.tenantId },
      {
        jobKey: `ingest:${exhausted}`,
        maxAttempts: 1,
      },
    );
    await sql`update graphile_worker._private_jobs set attempts = max_attempts where key = ${`ingest:${exhausted}`}`.execute(
      t.deps.db,
    );
    // Not stuck: a live job, or too recent.
    const alive = await stuckDocument("embedding", { extract: ended, chunk: ended });
    await enqueue(
      t.deps.db,
      "ingest:embed",
      { documentId: alive, tenantId: editor.tenantId },
      {
        jobKey: `ingest:${alive}`,
      },
    );
    const recent = await stuckDocument("indexing", { extract: ended, chunk: ended, embed: ended }, 60_000);

    expect(await MAINTENANCE.watchdog(t.deps)).toEqual({ requeued: 2, failed: 0 });
    expect((await pipelineJobs(t.deps, lost)).map((j) => j.task_identifier)).toEqual(["ingest:embed"]);
    expect(await pipelineJobs(t.deps, exhausted)).toEqual([
      expect.objectContaining({ task_identifier: "ingest:chunk", attempts: 0 }),
    ]);
    for (const id of [lost, exhausted, alive, recent]) {
      expect((await documentRow(id))?.status).not.toBe("failed");
    }
    expect((await documentRow(alive))?.stage_timestamps).not.toHaveProperty("watchdog");

    // The job is lost again and the document sits there once more: this time it fails, with a reason.
    await removePendingJob(t.deps.db, `ingest:${lost}`);
    await t.deps.db
      .updateTable("documents")
      .set({ updated_at: new Date(Date.now() - HOUR) })
      .where("id", "=", lost)
      .execute();
    expect(await MAINTENANCE.watchdog(t.deps)).toEqual({ requeued: 0, failed: 1 });
    const failed = await documentRow(lost);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toMatch(/stuck in embedding/);
    const ids = [lost, exhausted, alive, recent];
    for (const id of ids) await removePendingJob(t.deps.db, `ingest:${id}`);
    await t.deps.db.deleteFrom("documents").where("id", "in", ids).execute();
  });

  it("reconcile-index deletes an orphan point and re-indexes a ready document missing one", async () => {
    worker = await startTestWorker(t);
    const doc = await uploadFile(t, editor.token, `${prose(8, 121)}\n\n${prose(8, 122)}`, "reconcile.txt");
    await waitForStatus(t, doc.id, "ready");
    const model = t.deps.embedder.model;
    const chunks = await chunksOf(t.deps, doc.id);
    expect(chunks.length).toBeGreaterThan(1);
    const missing = pointId(doc.id, 1, model);
    await t.deps.vectorIndex.deletePoints(model, [missing]);
    const orphan = crypto.randomUUID();
    await t.deps.vectorIndex.upsert(model, [
      {
        id: orphan,
        tenantId: editor.tenantId,
        documentId: crypto.randomUUID(),
        contentHash: chunks[0]?.content_hash ?? "",
        payload: { idx: 0 },
      },
    ]);
    await worker.stop();

    expect(await MAINTENANCE["reconcile-index"](t.deps)).toEqual({
      orphansDeleted: 1,
      documentsReindexed: 1,
    });
    expect((await documentRow(doc.id))?.status).toBe("indexing");
    expect((await pipelineJobs(t.deps, doc.id)).map((j) => j.task_identifier)).toEqual(["ingest:index"]);
    const ids = await t.deps.vectorIndex.listPointIds(model, { tenantId: editor.tenantId });
    expect(ids).not.toContain(orphan);
    expect(ids).not.toContain(missing);

    worker = await startTestWorker(t);
    await waitForStatus(t, doc.id, "ready");
    expect((await pointRowsOf(t.deps, doc.id)).map((p) => p.id).sort()).toEqual(
      chunks.map((c) => pointId(doc.id, c.idx, model)).sort(),
    );
    expect(await MAINTENANCE["reconcile-index"](t.deps)).toEqual({
      orphansDeleted: 0,
      documentsReindexed: 0,
    });
  });

  it("purge-failed-jobs copies jobs out of attempts for a week to dead_letter_jobs and removes them", async () => {
    const documentId = crypto.randomUUID();
    const payload = { documentId, tenantId: editor.tenantId };
    await enqueue(t.deps.db, "ingest:delete", payload, { jobKey: `ingest:${documentId}`, maxAttempts: 3 });
    await enqueue(t.deps.db, "maintenance:watchdog", {}, { jobKey: "purge-test:recent", maxAttempts: 2 });
    await enqueue(t.deps.db, "maintenance:watchdog", {}, { jobKey: "purge-test:alive", maxAttempts: 2 });
    const age = (key: string, days: number) =>
      sql`update graphile_worker._private_jobs
          set attempts = max_attempts, last_error = 'delete failed: bucket gone',
              updated_at = now() - make_interval(days => ${days})
          where key = ${key}`.execute(t.deps.db);
    await age(`ingest:${documentId}`, 8);
    await age("purge-test:recent", 2);

    expect(await MAINTENANCE["purge-failed-jobs"](t.deps)).toEqual({ moved: 1 });

    const dead = await t.deps.db.selectFrom("dead_letter_jobs").selectAll().execute();
    expect(dead).toEqual([
      expect.objectContaining({
        task_identifier: "ingest:delete",
        payload,
        job_key: `ingest:${documentId}`,
        attempts: 3,
        max_attempts: 3,
        last_error: "delete failed: bucket gone",
      }),
    ]);
    expect(await pipelineJobs(t.deps, documentId)).toEqual([]);
    const left = await sql<{
      key: string;
    }>`select key from graphile_worker.jobs where key like 'purge-test:%' order by key`.execute(t.deps.db);
    expect(left.rows.map((r) => r.key)).toEqual(["purge-test:alive", "purge-test:recent"]);
    expect(await MAINTENANCE["purge-failed-jobs"](t.deps)).toEqual({ moved: 0 });
    for (const key of ["purge-test:alive", "purge-test:recent"]) await removePendingJob(t.deps.db, key);
  });

  it("runs every crontab task from the job graphile-worker's cron makes (its payload carries _cron)", async () => {
    const tasks = CRONTAB.split("\n").map((line) => line.split(" ").at(-1) as string);
    // As graphile-worker's cron enqueues them (makeJobForItem in graphile-worker/dist/cron.js).
    const cronPayload = { _cron: { ts: new Date().toISOString(), backfilled: false } };
    for (const task of tasks) {
      await sql`select graphile_worker.add_job(${task}, ${JSON.stringify(cronPayload)}::json, max_attempts => 1)`.execute(
        t.deps.db,
      );
    }
    const remaining = () =>
      sql<{ task_identifier: string; last_error: string | null }>`
        select task_identifier, last_error from graphile_worker.jobs where task_identifier = any(${tasks})
      `.execute(t.deps.db);
    worker = await startTestWorker(t);
    // Done jobs are deleted; a failed one (max_attempts 1) stays with its error.
    await expect
      .poll(async () => (await remaining()).rows, { timeout: 10_000 })
      .not.toContainEqual(expect.objectContaining({ last_error: null }));
    expect((await remaining()).rows).toEqual([]);
  });

  it("`tsx bin/jobs.ts watchdog` runs the job against DATABASE_URL and prints a JSON report", async () => {
    const stuck = await stuckDocument("indexing", { extract: ended, chunk: ended, embed: ended });
    const dataDir = mkdtempSync(join(tmpdir(), "quarry-jobs-cli-"));
    try {
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
        (resolve, reject) => {
          const child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), ["bin/jobs.ts", "watchdog"], {
            cwd: ROOT,
            env: {
              PATH: process.env.PATH ?? "",
              DATABASE_URL: t.deps.config.DATABASE_URL ?? "",
              DATA_DIR: dataDir,
              LOG_LEVEL: "silent",
            },
          });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
          });
          child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
          });
          child.on("error", reject);
          child.on("close", (code) => resolve({ code, stdout, stderr }));
        },
      );
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ job: "watchdog", requeued: 1, failed: 0 });
      expect((await pipelineJobs(t.deps, stuck)).map((j) => j.task_identifier)).toEqual(["ingest:index"]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await removePendingJob(t.deps.db, `ingest:${stuck}`);
    }
  }, 30_000);
});
