import { jsonArtifactKey } from "../../shared/analysis/artifacts.ts";
import { analysisView } from "../../shared/analysis/serialize.ts";
import type { AnalysisJob } from "../../shared/analysis/types.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";

/** The analysis with short-lived links to its report and JSON result, once it is ready. */
export async function viewWithLinks(deps: ContentDeps, job: AnalysisJob) {
  if (job.status !== "ready" || !job.artifact_key) return analysisView(job, { report: null, json: null });
  const options = { expiresInSeconds: deps.config.ANALYZE_ARTIFACT_URL_TTL_SECONDS };
  const [report, json] = await Promise.all([
    deps.blobStore.signedGetUrl(job.artifact_key, { ...options, downloadName: `analysis-${job.id}.md` }),
    deps.blobStore.signedGetUrl(jsonArtifactKey(job.artifact_key), {
      ...options,
      downloadName: `analysis-${job.id}.json`,
    }),
  ]);
  return analysisView(job, { report, json });
}
