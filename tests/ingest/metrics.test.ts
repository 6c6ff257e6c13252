import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForStatus } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { sampleOf, uploadFile, waitForNoJobs } from "./fixtures.ts";

describe("ingest metrics on /metrics", () => {
  let t: TestApp;
  let editor: TestUser;
  let worker: TestWorker;

  beforeAll(async () => {
    t = await startTestApp();
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
  });
  afterAll(async () => {
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
  });

  it("stage durations, documents by status and queue gauges, from the worker on the same deps", async () => {
    const docs = await Promise.all([
      uploadFile(t, editor.token, prose(8, 131), "one.txt"),
      uploadFile(t, editor.token, prose(8, 132), "two.txt"),
    ]);
    for (const doc of docs) {
      await waitForStatus(t, doc.id, "ready");
      await waitForNoJobs(t.deps, doc.id);
    }
    const failed = await uploadFile(
      t,
      editor.token,
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]),
      "x.txt",
    );
    await waitForStatus(t, failed.id, "failed");

    const res = await t.call("/metrics");
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const stage of ["extract", "chunk", "embed", "index"]) {
      const count = sampleOf(text, "ingest_stage_duration_seconds_count", { stage, function: "test" });
      // The failed document's extract ended in an error: only successful stage runs are timed.
      expect(count, stage).toBe(2);
      expect(sampleOf(text, "ingest_stage_duration_seconds_sum", { stage })).toBeGreaterThan(0);
    }
    expect(sampleOf(text, "ingest_stage_failures_total", { stage: "extract" })).toBe(1);
    expect(sampleOf(text, "documents_by_status", { status: "ready" })).toBe(2);
    expect(sampleOf(text, "documents_by_status", { status: "failed" })).toBe(1);
    expect(text).toMatch(/^job_queue_depth\{[^}]*\} \d+$/m);
    expect(text).toMatch(/^job_queue_oldest_age_seconds\{[^}]*\} /m);
  });
});
