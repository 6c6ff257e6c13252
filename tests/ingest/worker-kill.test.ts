import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointId } from "../../shared/vectors/point-id.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { embeddingInputs, type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForStatus } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { chunksOf, embeddedCount, pipelineJobs, pointRowsOf, until, uploadFile } from "./fixtures.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** jobs/main.ts in a process of its own (one process: node with tsx's loader, no wrapper to outlive a kill). */
function spawnWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "jobs/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`worker process exited (${code}): ${stderr}`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (line.includes('"worker started"')) resolve(child);
    });
  });
}

describe("ingest: a worker killed mid-stage", () => {
  let t: TestApp;
  let model: ModelServer;
  let editor: TestUser;
  let child: ChildProcess | undefined;
  let worker: TestWorker | undefined;
  const env = {
    CHUNK_MAX_TOKENS: "40",
    CHUNK_OVERLAP_TOKENS: "6",
    EMBEDDINGS_MODEL: "stand-in-embed",
    EMBEDDINGS_BATCH_SIZE: "4",
    EMBEDDINGS_CONCURRENCY: "1",
  };

  beforeAll(async () => {
    model = await startModelServer({ dims: 16 });
    t = await startTestApp({ env: { ...env, EMBEDDINGS_URL: model.url } });
    ({ editor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
    await model?.close();
  });

  it("SIGKILL while embedding a large document: after the restart it reaches ready with exactly its chunks", async () => {
    child = await spawnWorkerProcess({
      ...env,
      EMBEDDINGS_URL: model.url,
      DATABASE_URL: t.deps.config.DATABASE_URL ?? "",
      // The same filesystem blob store as the app that took the upload.
      DATA_DIR: t.deps.config.DATA_DIR,
    });
    model.delay(10_000, 300);
    const text = Array.from({ length: 8 }, (_, i) => prose(6, 141 + i)).join("\n\n");
    const doc = await uploadFile(t, editor.token, text, "large.txt");

    let hashes: string[] = [];
    await until("the child to store some vectors", async () => {
      hashes = [...new Set((await chunksOf(t.deps, doc.id)).map((c) => c.content_hash))];
      return hashes.length > 0 && (await embeddedCount(t.deps, t.deps.embedder.model, hashes)) >= 4;
    });
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 200));

    const stranded = await pipelineJobs(t.deps, doc.id);
    expect(stranded).toEqual([expect.objectContaining({ task_identifier: "ingest:embed", attempts: 1 })]);
    const lockedBy = stranded[0]?.locked_by;
    expect(lockedBy).toBeTruthy();
    const storedBefore = await embeddedCount(t.deps, t.deps.embedder.model, hashes);
    expect(storedBefore).toBeLessThan(hashes.length);
    expect((await waitForStatus(t, doc.id, "embedding", 1000)).status).toBe("embedding");

    // What graphile-worker does for a dead worker's locks after its lock timeout, done now.
    await sql`select graphile_worker.force_unlock_workers(${[lockedBy]}::text[])`.execute(t.deps.db);
    model.clear();
    worker = await startTestWorker(t);
    await waitForStatus(t, doc.id, "ready", 20_000);

    // Only the vectors the dead worker had not stored yet were requested again.
    const again = model.requests.flatMap((_, i) => embeddingInputs(model, i));
    expect(again).toHaveLength(hashes.length - storedBefore);
    const chunks = await chunksOf(t.deps, doc.id);
    expect(new Set(chunks.map((c) => c.content_hash))).toEqual(new Set(hashes));
    expect(chunks.map((c) => c.idx)).toEqual(chunks.map((_, i) => i));
    const points = await pointRowsOf(t.deps, doc.id);
    expect(points.map((p) => p.id).sort()).toEqual(
      chunks.map((c) => pointId(doc.id, c.idx, t.deps.embedder.model)).sort(),
    );
    expect(await embeddedCount(t.deps, t.deps.embedder.model, hashes)).toBe(hashes.length);
  }, 60_000);
});
