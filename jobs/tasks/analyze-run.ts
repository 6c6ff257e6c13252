import { runAnalysis } from "../../shared/analysis/run-analysis.ts";
import { analysisFetcher } from "../../shared/analysis/url-fetcher.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";
import type { SafeFetcher } from "../../shared/net/safe-fetch.ts";
import { defineTask } from "../define-task.ts";

/** Runs an analysis; `fetcher` replaces the URL fetcher built from config (tests pin its network). */
export function analyzeRunTask(deps: ContentDeps, options: { fetcher?: SafeFetcher } = {}) {
  const fetcher = options.fetcher ?? analysisFetcher(deps.config);
  return defineTask(deps, "analyze:run", (payload, helpers) =>
    runAnalysis(deps, payload, {
      fetcher,
      runTag: String(helpers.job.id),
      attempt: helpers.job.attempts,
      maxAttempts: helpers.job.max_attempts,
    }),
  );
}
