import { sql } from "kysely";
import type { Deps } from "../../shared/deps.ts";
import { readJson, type TestApp } from "../helpers/app.ts";
import type { DocumentJson } from "../helpers/worker.ts";

/** POST /api/rag/upload with one file part; asserts the 201 and returns the queued document. */
export async function uploadFile(
  t: TestApp,
  token: string,
  bytes: Uint8Array | string,
  filename: string,
): Promise<DocumentJson> {
  const body = new FormData();
  body.append("file", new Blob([bytes]), filename);
  const res = await t.call("/api/rag/upload", { method: "POST", token, body });
  if (res.status !== 201) throw new Error(`upload of ${filename}: ${res.status} ${await res.text()}`);
  return readJson<DocumentJson>(res);
}

export async function chunksOf(deps: Deps, documentId: string) {
  return deps.db
    .selectFrom("chunks")
    .select(["id", "idx", "text", "content_hash", "page", "token_count", "meta"])
    .where("document_id", "=", documentId)
    .orderBy("idx")
    .execute();
}

/** Rows of `vector_points` for the document (the embedded index), duplicates included. */
export async function pointRowsOf(deps: Deps, documentId: string) {
  return deps.db
    .selectFrom("vector_points")
    .select(["id", "collection", "content_hash"])
    .where("document_id", "=", documentId)
    .execute();
}

/** How many of `hashes` have a stored vector for the model. */
export async function embeddedCount(deps: Deps, model: string, hashes: string[]): Promise<number> {
  if (hashes.length === 0) return 0;
  const row = await deps.db
    .selectFrom("embeddings")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("model", "=", model)
    .where(sql<boolean>`content_hash = any(${hashes}::text[])`)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** The graphile-worker jobs under a document's pipeline key. */
export async function pipelineJobs(deps: Deps, documentId: string) {
  const result = await sql<{
    id: string;
    task_identifier: string;
    attempts: number;
    locked_by: string | null;
  }>`
    select id, task_identifier, attempts, locked_by from graphile_worker.jobs where key = ${`ingest:${documentId}`}
  `.execute(deps.db);
  return result.rows;
}

export interface ProgressJson {
  status: string;
  chunks: number;
  embedded: number;
  indexed: number;
  error: string | null;
}

export async function progressOf(t: TestApp, token: string, documentId: string): Promise<ProgressJson> {
  const res = await t.call(`/api/rag/${documentId}/progress`, { token });
  if (res.status !== 200) throw new Error(`progress: ${res.status} ${await res.text()}`);
  return readJson<ProgressJson>(res);
}

/** Waits until the document's pipeline key has no job left (a finished job is deleted by the worker). */
export async function waitForNoJobs(deps: Deps, documentId: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await pipelineJobs(deps, documentId);
    if (jobs.length === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs still pending: ${JSON.stringify(jobs)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The value of the first sample of `name` in the app's registry whose labels include `labels` (null when absent). */
export async function metricSample(
  t: TestApp,
  name: string,
  labels: Record<string, string>,
): Promise<number | null> {
  return sampleOf(await t.deps.metrics.registry.metrics(), name, labels);
}

/** The same, read from Prometheus text (a /metrics response). */
export function sampleOf(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return null;
}

/** Polls `check` every 25 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
