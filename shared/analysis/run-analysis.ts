import { blobKey } from "../blob/index.ts";
import type { ContentDeps } from "../content-deps.ts";
import { ApiError } from "../errors.ts";
import { LanguageModelError } from "../llm/errors.ts";
import { UrlFetchError } from "../net/errors.ts";
import type { SafeFetcher } from "../net/safe-fetch.ts";
import { analyzeDocument } from "./analyze-document.ts";
import { artifactKeys } from "./artifacts.ts";
import type { AnalysisParams } from "./params.ts";
import { renderReport } from "./report.ts";
import { AnalysisRun, RunSuperseded } from "./run-lease.ts";
import type { AnalysisSource } from "./types.ts";

export type AnalysisDeps = Pick<ContentDeps, "db" | "blobStore" | "llm" | "config" | "log">;

export interface RunContext {
  fetcher: SafeFetcher;
  /** Names this run's blobs (the graphile-worker job id). */
  runTag: string;
  attempt: number;
  maxAttempts: number;
}

/** Errors another attempt cannot fix: bad input, a refused URL, a schema the model will not satisfy. */
function isPermanent(error: unknown): boolean {
  if (error instanceof UrlFetchError) return !error.transient;
  return error instanceof ApiError && error.status < 500;
}

/**
 * The source's blob: the stored one, or, for a URL not fetched yet, the document fetched through the SSRF
 * guard, stored under this run's name and recorded on the row (so retries read the same bytes).
 */
async function storedSource(
  deps: AnalysisDeps,
  run: AnalysisRun,
  context: RunContext,
  written: string[],
): Promise<{ source: AnalysisSource; key: string }> {
  const { job } = run;
  const source = job.source as AnalysisSource;
  if (job.blob_key) return { source, key: job.blob_key };
  if (source.kind !== "url") throw new Error("the analysis has no stored source");
  const fetched = await context.fetcher.fetch(source.url);
  const key = blobKey(job.tenant_id, "analysis", job.id, `fetched-${context.runTag}`);
  written.push(key);
  await deps.blobStore.put(key, fetched.bytes, { contentType: fetched.contentType });
  const recorded: AnalysisSource = {
    ...source,
    fetched: {
      url: fetched.url,
      content_type: fetched.contentType,
      size_bytes: fetched.bytes.length,
      redirects: fetched.redirects,
    },
  };
  await run.recordSource(recorded, key);
  // From here the row refers to it: it is the analysis's, not this run's, to delete.
  written.pop();
  return { source: recorded, key };
}

/** What the row's `error` says: domain errors as they are, anything else without internals. */
function publicMessage(error: unknown, runTag: string): string {
  if (error instanceof ApiError || error instanceof LanguageModelError) return error.message;
  return `the analysis failed unexpectedly (job ${runTag}; the worker log has the details)`;
}

/**
 * The `analyze:run` job: takes the analysis, reads its source (the stored blob, or the URL fetched through
 * the SSRF guard and then stored), analyses it, writes the Markdown report and the JSON result, and marks
 * it ready. Permanent errors fail it at once; others are retried by graphile-worker up to the last
 * attempt. A run that was canceled, retried or deleted meanwhile stops and removes the blobs it wrote.
 */
export async function runAnalysis(
  deps: AnalysisDeps,
  payload: { analysisId: string; tenantId: string },
  context: RunContext,
): Promise<void> {
  const log = deps.log.child({ analysis_id: payload.analysisId, tenant_id: payload.tenantId });
  const run = await AnalysisRun.start(deps.db, payload.analysisId, payload.tenantId);
  if (!run) {
    log.debug("analysis is no longer queued; job superseded");
    return;
  }
  const written: string[] = [];
  try {
    const { job } = run;
    const params = job.params as AnalysisParams;
    const { source, key } = await storedSource(deps, run, context, written);
    const bytes = await deps.blobStore.getBytes(key, deps.config.ANALYZE_MAX_SOURCE_BYTES);
    const result = await analyzeDocument({
      bytes,
      name: source.name,
      params,
      llm: deps.llm,
      limits: {
        maxUnpackedBytes: deps.config.EXTRACT_MAX_UNPACKED_BYTES,
        maxEntries: deps.config.EXTRACT_MAX_ENTRIES,
      },
      progress: (value, force) => run.progress(value * 0.99, force),
    });
    const keys = artifactKeys(job.tenant_id, job.id, context.runTag);
    const report = renderReport({ id: job.id, source, result, finishedAt: new Date() });
    written.push(keys.report, keys.json);
    await deps.blobStore.put(keys.report, Buffer.from(report), {
      contentType: "text/markdown; charset=utf-8",
    });
    await deps.blobStore.put(
      keys.json,
      Buffer.from(JSON.stringify({ id: job.id, source, result }, null, 2)),
      {
        contentType: "application/json",
      },
    );
    await run.finish(result, keys.report);
    log.info({ method: result.method, chunks: result.document.chunks }, "analysis ready");
  } catch (error) {
    if (error instanceof RunSuperseded) {
      log.info("analysis canceled, restarted or deleted while running; stopped");
      await Promise.all(written.map((key) => deps.blobStore.delete(key).catch(() => {})));
      return;
    }
    const message = publicMessage(error, context.runTag);
    const lastAttempt = context.attempt >= context.maxAttempts;
    if (isPermanent(error) || lastAttempt) {
      log.info({ reason: message, attempt: context.attempt }, "analysis failed");
      await run.fail(message).catch((e: unknown) => {
        if (!(e instanceof RunSuperseded)) throw e;
      });
      if (isPermanent(error)) return;
    } else {
      log.warn({ err: error, attempt: context.attempt }, "analysis attempt failed; will retry");
      await run
        .noteRetry(`attempt ${context.attempt} of ${context.maxAttempts} failed: ${message}`)
        .catch(() => {});
    }
    throw error;
  }
}
