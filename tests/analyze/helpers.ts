import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Runner, run } from "graphile-worker";
import { sql } from "kysely";
import { analyzeRunTask } from "../../jobs/tasks/analyze-run.ts";
import type { AnalysisResult } from "../../shared/analysis/types.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";
import type { SafeFetcher } from "../../shared/net/safe-fetch.ts";
import { workerLogger } from "../../shared/queue/worker-logger.ts";
import { readJson, type TestApp } from "../helpers/app.ts";

export interface AnalysisJson {
  id: string;
  status: "queued" | "running" | "ready" | "failed" | "canceled";
  progress: number;
  source: { kind: string; name: string; url?: string; size_bytes: number | null };
  params: Record<string, unknown>;
  result: AnalysisResult | null;
  error: string | null;
  artifact_url: string | null;
  artifact_json_url: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface ErrorJson {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * A graphile-worker runner with only `analyze:run`, on the app's pool: the real task, with the URL fetcher
 * the test gives (a pinned resolver and a loopback-only connect) and, optionally, other ports.
 */
export async function startAnalyzeWorker(
  t: TestApp,
  options: { fetcher: SafeFetcher; deps?: Partial<ContentDeps> },
): Promise<{ stop(): Promise<void> }> {
  const deps = { ...t.deps, ...options.deps };
  const runner: Runner = await run({
    pgPool: t.deps.pool,
    concurrency: 2,
    taskList: { "analyze:run": analyzeRunTask(deps, { fetcher: options.fetcher }) },
    noHandleSignals: true,
    pollInterval: 100,
    logger: workerLogger(deps.log),
  });
  return { stop: () => runner.stop() };
}

export function submit(
  t: TestApp,
  token: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return t.call("/api/analyze", { method: "POST", token, json: body, headers });
}

export function submitFile(
  t: TestApp,
  token: string,
  file: { bytes: Uint8Array | string; filename: string },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new Blob([file.bytes]), file.filename);
  return t.call("/api/analyze", { method: "POST", token, body: form });
}

/** Submits and returns the new analysis id, asserting the 202. */
export async function accepted(res: Response): Promise<string> {
  const body = await readJson<{ id: string; status: string; accepted: boolean }>(res);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

export async function getAnalysis(t: TestApp, token: string, id: string): Promise<AnalysisJson> {
  const res = await t.call(`/api/analyze/${id}`, { token });
  if (res.status !== 200) throw new Error(`GET /api/analyze/${id}: ${res.status} ${await res.text()}`);
  return readJson<AnalysisJson>(res);
}

const TERMINAL = ["ready", "failed", "canceled"];

/** Polls until the analysis is `status`; fails at once if it settles in another terminal status. */
export async function waitForAnalysis(
  t: TestApp,
  token: string,
  id: string,
  status: AnalysisJson["status"],
  timeoutMs = 20_000,
): Promise<AnalysisJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await getAnalysis(t, token, id);
    if (last.status === status) return last;
    if (TERMINAL.includes(last.status)) {
      throw new Error(`analysis ${id} ended ${last.status} (error: ${last.error}), expected ${status}`);
    }
    if (Date.now() > deadline) throw new Error(`analysis ${id} still ${last.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls until `check` holds for the analysis (e.g. progress moved). */
export async function waitUntil(
  t: TestApp,
  token: string,
  id: string,
  check: (a: AnalysisJson) => boolean,
  timeoutMs = 20_000,
): Promise<AnalysisJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await getAnalysis(t, token, id);
    if (check(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`analysis ${id}: condition not met; last ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Downloads a signed link from the test server (it points at PUBLIC_BASE_URL; the path is what counts). */
export async function download(t: TestApp, url: string): Promise<Response> {
  const { pathname, search } = new URL(url);
  return t.call(`${pathname}${search}`);
}

/** Every blob of an analysis (source and artifacts) in the filesystem store. */
export async function analysisBlobs(deps: ContentDeps, tenantId: string, id: string): Promise<string[]> {
  const found: string[] = [];
  for (const kind of ["analysis", "artifacts"]) {
    try {
      const dir = join(deps.config.DATA_DIR, "blobs", "t", tenantId, kind, id);
      found.push(...(await readdir(dir, { recursive: true })).map((name) => `${kind}/${name}`));
    } catch {
      // no such directory: nothing stored
    }
  }
  return found.sort();
}

/** The graphile-worker jobs of an analysis (pending or running). */
export async function analysisJobs(deps: ContentDeps, id: string) {
  const result = await sql<{ task_identifier: string; max_attempts: number; locked_at: Date | null }>`
    select task_identifier, max_attempts, locked_at from graphile_worker.jobs where key = ${`analyze:${id}`}
  `.execute(deps.db);
  return result.rows;
}
